package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;

/** The fakes behave like a strict cluster: what they grant, refuse, record and call a leak. */
@Timeout(30)
class FakeClusterTest {

  private static final double GiB = Resources.GiB;

  private static Resources cpuMem(double cpu, double memGiB) {
    return Resources.of(Resources.CPU, cpu, Resources.MEM, memGiB * GiB);
  }

  private static ExecRequest request(String id) {
    return new ExecRequest(id, id, ExecConfig.of("true"), cpuMem(1, 1), Fileset.empty());
  }

  private static ExecRequest named(String name) {
    return new ExecRequest(name + ".0", name, ExecConfig.of("true"), cpuMem(1, 1),
        Fileset.empty());
  }

  private static CompletableFuture<Alloc> ask(FakeCluster cluster, double cpu) {
    return cluster.allocate(new Requirements(cpuMem(cpu, 1), 0), Labels.empty());
  }

  /** Returns the exception the future failed with. */
  private static Throwable failure(CompletableFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> future.get(5, TimeUnit.SECONDS));
    return e.getCause();
  }

  private static String read(Repository repository, FileRef file) throws IOException {
    try (InputStream in = repository.get(file.digest())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aMenuGrantsTheSmallestShapeThatHoldsTheWholeRequest() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder()
        .menu(cpuMem(2, 8), cpuMem(8, 32), cpuMem(32, 128)).automatic().build();
    Alloc small = cluster.allocate(new Requirements(cpuMem(1, 2), 1), Labels.empty()).get();
    assertEquals(cpuMem(2, 8), small.resources());
    Alloc middle = cluster.allocate(new Requirements(cpuMem(2, 8), 2), Labels.empty()).get();
    assertEquals(cpuMem(8, 32), middle.resources());
    // Nothing holds 8 x {cpu:8}: the largest shape that holds the minimum.
    Alloc large = cluster.allocate(new Requirements(cpuMem(8, 8), 7), Labels.empty()).get();
    assertEquals(cpuMem(32, 128), large.resources());
    assertFalse(cluster.canAllocate(cpuMem(64, 1)).possible());
    assertTrue(cluster.canAllocate(cpuMem(64, 1)).reason().contains("{cpu:32 mem:128GiB}"));
    assertEquals(3, cluster.requests().size());
  }

  @Test
  void aMaxAllocCapsGrantsAndRefusesLargerNeedsForGood() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic().build();
    Alloc a = cluster.allocate(new Requirements(cpuMem(8, 32), 3), Labels.empty()).get();
    assertEquals(cpuMem(16, 64), a.resources());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> cluster.allocate(new Requirements(cpuMem(32, 1), 0), Labels.empty()).get());
    AllocationException refused = (AllocationException) e.getCause();
    assertEquals(AllocationException.Kind.NEVER, refused.kind());
    a.free().get();
  }

  @Test
  void aQuotaRefusesForNowAndFreeingMakesRoom() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().automatic().quota(1).build();
    Alloc first = cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).get();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).get());
    assertEquals(AllocationException.Kind.NOT_NOW, ((AllocationException) e.getCause()).kind());
    first.free().get();
    cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).get().free().get();
    cluster.checkNoLeaks();
  }

  @Test
  void aLeakCheckNamesTheAllocNeverFreedAndWhereItWasGranted() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().build();
    var pending = cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.of("run", "r1"));
    FakeCluster.Request r = cluster.takeRequest(Duration.ofSeconds(5));
    assertEquals("r1", r.labels().get("run"));
    FakeAlloc alloc = r.grant();
    assertEquals(alloc, pending.get());
    IllegalStateException leak = assertThrows(IllegalStateException.class, cluster::checkNoLeaks);
    assertTrue(leak.getMessage().contains(alloc.id()), leak.getMessage());
    StackTraceElement[] where = leak.getCause().getStackTrace();
    assertTrue(java.util.Arrays.stream(where).anyMatch(f -> f.getMethodName().equals(
        "aLeakCheckNamesTheAllocNeverFreedAndWhereItWasGranted")), "no stack of the grant");
  }

  @Test
  void aLeakCheckNamesAnExecStillRunningWhenItsHealthyAllocWasFreed() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().automatic().build();
    Alloc alloc = cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).get();
    FakeExec done = (FakeExec) alloc.start(request("t8.0"));
    done.succeed();
    FakeExec running = (FakeExec) alloc.start(request("t9.0"));
    alloc.free().get();
    assertTrue(running.isKilled());
    IllegalStateException leak = assertThrows(IllegalStateException.class, cluster::checkNoLeaks);
    assertTrue(leak.getMessage().contains("t9.0"), leak.getMessage());
    assertTrue(leak.getCause().getMessage().contains("was started here"));

    // On an alloc that failed, the scheduler can only give up on what ran there: no leak.
    FakeCluster other = FakeCluster.newBuilder().automatic().build();
    FakeAlloc failed = (FakeAlloc) other.allocate(new Requirements(cpuMem(1, 1), 0),
        Labels.empty()).get();
    FakeExec hanging = (FakeExec) failed.start(request("t3.0"));
    failed.fail("unreachable");
    failed.free().get();
    assertTrue(hanging.isDone());
    other.checkNoLeaks();
  }

  @Test
  void aFailedAllocRefusesNewExecsAndFailsItsKeepalive() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().automatic().build();
    FakeAlloc alloc = (FakeAlloc) cluster.allocate(new Requirements(cpuMem(1, 1), 0),
        Labels.empty()).get();
    assertEquals(Duration.ofMillis(100), alloc.keepalive().get());
    alloc.fail("power cut");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> alloc.keepalive().get());
    assertTrue(e.getCause() instanceof AllocLostException);
    assertTrue(e.getCause().getMessage().contains("power cut"));
    assertThrows(AllocLostException.class, () -> alloc.start(request("t1.0")));
    alloc.free().get();
  }

  @Test
  void takingARequestThatNeverComesFailsWithWhatCameInstead() {
    FakeCluster cluster = FakeCluster.newBuilder().build();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> cluster.takeRequest(Duration.ofMillis(50)));
    assertTrue(e.getMessage().contains("no allocation request within PT0.05S"), e.getMessage());
  }

  @Test
  void execsEndAfterTheirDurationOnFakeTime() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = FakeCluster.newBuilder().automatic().timeSource(time)
        .execDuration(Duration.ofMinutes(3)).build();
    Alloc alloc = cluster.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).get();
    FakeExec x = (FakeExec) alloc.start(request("t2.0"));
    time.advance(Duration.ofMinutes(2));
    assertFalse(x.isDone());
    time.advance(Duration.ofMinutes(1));
    assertEquals(0, x.result().get().exitCode());
    alloc.free().get();
    cluster.checkNoLeaks();
  }

  // ------------------------------------------------------------------ builder refusals

  @Test
  void eachOptionMayBeSetOnce() {
    IllegalStateException max = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().maxAlloc(cpuMem(4, 4)).maxAlloc(cpuMem(8, 8)));
    assertEquals("max alloc was already set to {cpu:4 mem:4GiB}", max.getMessage());
    IllegalStateException menu = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().menu(cpuMem(2, 8)).menu(cpuMem(8, 32)));
    assertEquals("menu was already set to [{cpu:2 mem:8GiB}]", menu.getMessage());
    IllegalStateException quota = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().quota(2).quota(3));
    assertEquals("quota was already set to 2", quota.getMessage());
    IllegalStateException duration = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().execDuration(Duration.ZERO).execDuration(Duration.ZERO));
    assertEquals("exec duration was already set to PT0S", duration.getMessage());
  }

  @Test
  void badValuesAreRefusedAtOnceNamingTheOption() {
    IllegalArgumentException keepalive = assertThrows(IllegalArgumentException.class,
        () -> FakeCluster.newBuilder().keepaliveInterval(Duration.ZERO));
    assertEquals("keepalive interval must be > 0 but was PT0S", keepalive.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> FakeCluster.newBuilder().keepaliveInterval(Duration.ofMillis(-5)));
    assertEquals("keepalive interval must be > 0 but was PT-0.005S", negative.getMessage());
    IllegalArgumentException quota = assertThrows(IllegalArgumentException.class,
        () -> FakeCluster.newBuilder().quota(0));
    assertEquals("quota must be >= 1 but was 0", quota.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> FakeCluster.newBuilder().menu());
    assertEquals("menu must not be empty", empty.getMessage());
    NullPointerException nullShape = assertThrows(NullPointerException.class,
        () -> FakeCluster.newBuilder().menu(cpuMem(2, 8), null));
    assertEquals("menu shape 1 is null", nullShape.getMessage());
  }

  @Test
  void contradictoryOptionsAreRefusedAtBuildNamingBoth() {
    IllegalStateException shapes = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).menu(cpuMem(2, 8)).build());
    assertEquals("set either a max alloc or a menu, not both: max alloc {cpu:16 mem:64GiB},"
        + " menu [{cpu:2 mem:8GiB}]", shapes.getMessage());
    IllegalStateException answering = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().automatic().allocPolicy(AllocPolicy.byHand()).build());
    assertEquals("set either automatic() or an alloc policy, not both: automatic() is"
        + " allocPolicy(AllocPolicy.grantAll())", answering.getMessage());
    IllegalStateException ending = assertThrows(IllegalStateException.class,
        () -> FakeCluster.newBuilder().execDuration(Duration.ofSeconds(1))
            .execPolicy(ExecPolicy.succeed()).build());
    assertEquals("set either an exec duration or an exec policy, not both: execDuration(PT1S)"
        + " is execPolicy(ExecPolicy.succeedAfter(PT1S))", ending.getMessage());
  }

  /** A quota used to be ignored unless the cluster was automatic; it now limits any cluster. */
  @Test
  void aQuotaOnAClusterAnsweredByHandRefusesOverQuotaRequestsAndLeavesTheRestToTheTest()
      throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().quota(1).build();
    CompletableFuture<Alloc> first = ask(cluster, 1);
    FakeAlloc alloc = cluster.takeRequest(Duration.ofSeconds(5)).grant();
    assertEquals(alloc, first.get());
    CompletableFuture<Alloc> second = ask(cluster, 1);
    AllocationException refused = (AllocationException) failure(second);
    assertEquals(AllocationException.Kind.NOT_NOW, refused.kind());
    assertEquals("quota of 1 allocs reached", refused.getMessage());
    alloc.free().get();
    CompletableFuture<Alloc> third = ask(cluster, 1);
    assertFalse(third.isDone(), "within the quota the request waits for the test");
    cluster.takeRequest(Duration.ofSeconds(5)).grant().free().get();
    cluster.checkNoLeaks();
  }

  // ------------------------------------------------------------------ alloc policies

  @Test
  void anAllocPolicyGrantsRefusesOrLeavesEachRequestToTheTest() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64))
        .allocPolicy(request -> {
          double cpu = request.requirements().min().get(Resources.CPU);
          return cpu == 1 ? AllocAnswer.grant()
              : cpu == 2 ? AllocAnswer.grant(cpuMem(3, 3))
              : cpu == 3 ? AllocAnswer.notNow("no capacity for " + request.requirements())
              : cpu == 4 ? AllocAnswer.never("no shape of 4 cpus")
              : cpu == 20 ? AllocAnswer.grant()
              : AllocAnswer.byHand();
        })
        .build();
    Alloc sized = cluster.allocate(new Requirements(cpuMem(1, 1), 3), Labels.empty()).get();
    assertEquals(cpuMem(4, 4), sized.resources(), "sized by the cluster: max() within max alloc");
    assertEquals(cpuMem(3, 3), ask(cluster, 2).get().resources(), "exactly the shape given");
    AllocationException notNow = (AllocationException) failure(ask(cluster, 3));
    assertEquals(AllocationException.Kind.NOT_NOW, notNow.kind());
    assertEquals("no capacity for {cpu:3 mem:1GiB}", notNow.getMessage());
    AllocationException never = (AllocationException) failure(ask(cluster, 4));
    assertEquals(AllocationException.Kind.NEVER, never.kind());
    assertEquals("no shape of 4 cpus", never.getMessage());
    AllocationException tooLarge = (AllocationException) failure(ask(cluster, 20));
    assertEquals(AllocationException.Kind.NEVER, tooLarge.kind(), "sized, but larger than any");

    CompletableFuture<Alloc> byHand = ask(cluster, 5);
    assertFalse(byHand.isDone());
    FakeCluster.Request r = cluster.takeRequest(Duration.ofSeconds(5));
    assertEquals(cpuMem(5, 1), r.requirements().min());
    assertEquals(r.grant(), byHand.get());
    assertEquals(null, cluster.pollRequest(), "only the request left to the test is queued");
    assertEquals(6, cluster.requests().size(), "every request is recorded");
    assertFalse(cluster.canAllocate(cpuMem(17, 1)).possible(), "the max alloc still bounds it");
    for (FakeAlloc a : cluster.allocs()) {
      a.free().get();
    }
    cluster.checkNoLeaks();
  }

  @Test
  void anAllocPolicyThatThrowsFailsTheRequestWithIt() {
    IllegalStateException boom = new IllegalStateException("cloud api down");
    FakeCluster cluster = FakeCluster.newBuilder().allocPolicy(request -> {
      throw boom;
    }).build();
    assertEquals(boom, failure(ask(cluster, 1)));
    assertEquals(1, cluster.requests().size());
  }

  /** {@code menu(...).automatic().quota(1)} and its policy spelled out behave alike. */
  @Test
  void theBuiltInOptionsArePoliciesAndComposeAsSuch() throws Exception {
    Resources small = cpuMem(2, 8);
    Resources large = cpuMem(8, 32);
    FakeCluster options = FakeCluster.newBuilder().menu(small, large).automatic().quota(1).build();
    FakeCluster policy = FakeCluster.newBuilder()
        .allocPolicy(AllocPolicy.quota(1, AllocPolicy.menu(small, large))).build();
    for (FakeCluster cluster : List.of(options, policy)) {
      assertEquals("no alloc shape holds it; the shapes are [" + small + ", " + large + "]",
          cluster.canAllocate(cpuMem(9, 1)).reason());
      Alloc first = cluster.allocate(new Requirements(cpuMem(2, 2), 1), Labels.empty()).get();
      assertEquals(large, first.resources());
      assertEquals(AllocationException.Kind.NOT_NOW,
          ((AllocationException) failure(ask(cluster, 1))).kind());
      first.free().get();
      Alloc second = ask(cluster, 1).get();
      assertEquals(small, second.resources());
      second.free().get();
      AllocationException never = (AllocationException) failure(
          cluster.allocate(new Requirements(cpuMem(9, 1), 0), Labels.empty()));
      assertEquals(AllocationException.Kind.NEVER, never.kind());
      cluster.checkNoLeaks();
    }
    FakeCluster capped = FakeCluster.newBuilder().allocPolicy(AllocPolicy.maxAlloc(cpuMem(4, 4)))
        .build();
    assertEquals(cpuMem(4, 4), capped.allocate(new Requirements(cpuMem(1, 1), 7), Labels.empty())
        .get().resources());
    assertEquals("the largest alloc is {cpu:4 mem:4GiB}", capped.canAllocate(cpuMem(5, 1))
        .reason());
    capped.allocs().get(0).free().get();
    capped.checkNoLeaks();
  }

  // ------------------------------------------------------------------ exec policies

  @Test
  void anExecPolicyScriptsEachExecsResultOutputsAndDelayOnFakeTime() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = FakeCluster.newBuilder().automatic().timeSource(time)
        .execPolicy(request -> switch (request.name()) {
          case "sort" -> ExecAnswer.succeed().stdout("sorted").output("out/sorted.txt", "a\nb\n")
              .after(Duration.ofMinutes(2));
          case "crash" -> ExecAnswer.exit(3).stderr("segfault");
          case "lost" -> ExecAnswer.fail(new AllocLostException("node rebooted"))
              .after(Duration.ofMinutes(1));
          default -> ExecAnswer.byHand();
        })
        .build();
    FakeAlloc alloc = (FakeAlloc) ask(cluster, 1).get();
    Exec sort = alloc.start(named("sort"));
    Exec crash = alloc.start(named("crash"));
    Exec lost = alloc.start(named("lost"));
    Exec manual = alloc.start(named("manual"));

    ExecResult crashed = crash.result().getNow(null);
    assertEquals(3, crashed.exitCode(), "no delay: ended as it started");
    assertEquals("segfault", crashed.stderr());
    time.advance(Duration.ofMinutes(1));
    assertTrue(failure(lost.result()) instanceof AllocLostException);
    assertFalse(sort.result().isDone(), "ends 2 minutes after it started");
    time.advance(Duration.ofMinutes(1));
    ExecResult sorted = sort.result().getNow(null);
    assertEquals(0, sorted.exitCode());
    assertEquals("sorted", sorted.stdout());
    FileRef out = sorted.outputs().files().get("out/sorted.txt");
    assertEquals("a\nb\n", read(alloc.repository(), out), "the output is in the alloc's repo");

    time.advance(Duration.ofDays(365));
    assertFalse(manual.result().isDone(), "left to the test");
    assertEquals(List.of(manual), alloc.running());
    ((FakeExec) manual).succeed();
    alloc.free().get();
    cluster.checkNoLeaks();
  }

  /** The example of README.md, on fake time. */
  @Test
  void theReadmeExampleRefusesGpusSizesGrantsAndScriptsExecs() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = FakeCluster.newBuilder()
        .maxAlloc(Resources.of("cpu", 16))
        .allocPolicy(request -> request.requirements().min().get("gpu") > 0
            ? AllocAnswer.never("no gpu here")
            : AllocAnswer.grant())                      // sized by maxAlloc
        .execPolicy(exec -> exec.name().startsWith("flaky")
            ? ExecAnswer.exit(1).stderr("segfault")
            : ExecAnswer.succeed().output("out.txt", "done").after(Duration.ofSeconds(2)))
        .timeSource(time)
        .build();
    AllocationException gpu = (AllocationException) failure(cluster.allocate(
        new Requirements(Resources.of("gpu", 1), 0), Labels.empty()));
    assertEquals("no gpu here", gpu.getMessage());
    Alloc alloc = cluster.allocate(new Requirements(Resources.of("cpu", 6), 3), Labels.empty())
        .get();
    assertEquals(Resources.of("cpu", 16), alloc.resources());
    Exec flaky = alloc.start(named("flaky-1"));
    Exec steady = alloc.start(named("steady-1"));
    assertEquals("segfault", flaky.result().getNow(null).stderr());
    time.advance(Duration.ofSeconds(2));
    assertEquals(List.of("out.txt"),
        List.copyOf(steady.result().getNow(null).outputs().files().keySet()));
    alloc.free().get();
    cluster.checkNoLeaks();
  }

  @Test
  void anExecPolicyThatThrowsFailsTheStartAndStartsNoExec() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().automatic()
        .execPolicy(request -> {
          throw new IllegalStateException("no such binary: " + request.config().command().get(0));
        })
        .build();
    Alloc alloc = ask(cluster, 1).get();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> alloc.start(request("t1.0")));
    assertEquals("no such binary: true", e.getMessage());
    assertEquals(List.of(), ((FakeAlloc) alloc).execs());
    alloc.free().get();
    cluster.checkNoLeaks();
  }

  @Test
  void aKilledScriptedExecEndsKilledAndLeavesNoTimerBehind() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = FakeCluster.newBuilder().automatic().timeSource(time)
        .execPolicy(request -> ExecAnswer.succeed().output("x", "y").after(Duration.ofHours(1)))
        .build();
    Alloc alloc = ask(cluster, 1).get();
    Exec exec = alloc.start(request("t1.0"));
    assertEquals(1, time.pendingTimers());
    exec.kill();
    assertEquals(FakeExec.KILLED_EXIT_CODE, exec.result().get().exitCode());
    assertEquals(0, time.pendingTimers());
    alloc.free().get();
    cluster.checkNoLeaks();
  }

  /** On an automatic cluster execs wait for the test; ExecPolicy.succeed() runs everything. */
  @Test
  void anAutomaticClusterWithTheSucceedPolicyRunsTasksToTheEndByItself() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().automatic()
        .execPolicy(ExecPolicy.succeed()).build();
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).jmx(false).build()) {
      List<Task> tasks = List.of(
          Task.newBuilder().command("true").resources(cpuMem(1, 1)).build(),
          Task.newBuilder().command("true").resources(cpuMem(2, 2)).build());
      scheduler.submit(tasks);
      for (Task t : tasks) {
        assertEquals(t, t.await(State.DONE).get(10, TimeUnit.SECONDS));
      }
    }
    cluster.checkNoLeaks();
  }

  @Test
  void anExecAnswerRefusesWhatItCannotDo() {
    ExecAnswer ok = ExecAnswer.succeed().output("out/a.txt", "a");
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> ok.output("out/a.txt", "b"));
    assertEquals("output out/a.txt was already given", twice.getMessage());
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> ok.output("../a.txt", "b"));
    assertEquals("path must be a relative path without . or .. segments but was \"../a.txt\""
        + " (has a .. segment)", outside.getMessage());
    IllegalArgumentException fileAndDir = assertThrows(IllegalArgumentException.class,
        () -> ok.output("out", "b"));
    assertTrue(fileAndDir.getMessage().contains("is both a file and the directory"),
        fileAndDir.getMessage());
    IllegalStateException failedOutputs = assertThrows(IllegalStateException.class,
        () -> ExecAnswer.fail(new IllegalStateException("crash")).output("a", "b"));
    assertEquals("a failed exec has no output a: it fails with java.lang.IllegalStateException:"
        + " crash", failedOutputs.getMessage());
    IllegalStateException delayTwice = assertThrows(IllegalStateException.class,
        () -> ExecAnswer.succeed().after(Duration.ofSeconds(1)).after(Duration.ofSeconds(2)));
    assertEquals("delay was already set to PT1S", delayTwice.getMessage());
    assertThrows(IllegalStateException.class,
        () -> ExecAnswer.byHand().after(Duration.ofSeconds(1)));
    IllegalStateException stdoutTwice = assertThrows(IllegalStateException.class,
        () -> ExecAnswer.succeed().stdout("a").stdout("b"));
    assertEquals("stdout was already set to \"a\"", stdoutTwice.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> ExecAnswer.succeed().after(Duration.ofSeconds(-1)));
    assertEquals("delay must be >= 0 but was PT-1S", negative.getMessage());
    IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
        () -> AllocAnswer.notNow(" "));
    assertEquals("why must not be blank", blank.getMessage());
    assertEquals("exit 0 with outputs [out/a.txt] after PT1M",
        ok.after(Duration.ofMinutes(1)).toString());
  }
}
