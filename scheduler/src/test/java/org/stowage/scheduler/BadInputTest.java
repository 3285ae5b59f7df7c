package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.scheduler;
import static org.stowage.scheduler.Fixtures.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.slurm.SlurmCluster;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;

/** Bad input gets a clear error, and the scheduler goes on serving everything else. */
@Timeout(60)
class BadInputTest {

  private final FakeCluster cluster =
      Fixtures.cluster().automatic().execDuration(Duration.ZERO).build();
  private final Scheduler scheduler = scheduler(cluster).build();

  @AfterEach
  void close() {
    scheduler.close();
    cluster.checkNoLeaks();
  }

  /** Runs one more task to the end, to show the scheduler still serves. */
  private static void stillServes(Scheduler s) throws Exception {
    Task ok = task(1, 1);
    s.submit(List.of(ok));
    assertTrue(done(ok).succeeded(), ok::toString);
  }

  @Test
  void nullAndEmptySubmissionsAreRefusedClearly() throws Exception {
    NullPointerException npe = assertThrows(NullPointerException.class,
        () -> scheduler.submit((List<Task>) null));
    assertEquals("tasks", npe.getMessage());
    NullPointerException inList = assertThrows(NullPointerException.class,
        () -> scheduler.submit(Arrays.asList(task(1, 1), null)));
    assertEquals("tasks[1] is null", inList.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> scheduler.submit(List.of()));
    assertEquals("tasks must not be empty", empty.getMessage());
    stillServes(scheduler);
  }

  @Test
  void aTaskSubmittedTwiceIsRefusedAndTheBatchWithItIsNotTaken() throws Exception {
    Task t = task(1, 1);
    scheduler.submit(List.of(t));
    Task fresh = task(1, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> scheduler.submit(List.of(fresh, t)));
    assertTrue(e.getMessage().contains(t.key()) && e.getMessage().contains("already submitted"),
        e.getMessage());
    // Nothing of the refused batch was taken: the fresh task can still be submitted.
    scheduler.submit(List.of(fresh));
    IllegalArgumentException twiceInOne = assertThrows(IllegalArgumentException.class,
        () -> scheduler.submit(List.of(task(1, 1), fresh, fresh)));
    assertTrue(twiceInOne.getMessage().contains("already submitted"));
    FakeCluster other = Fixtures.cluster().build();
    try (Scheduler second = scheduler(other).build()) {
      assertThrows(IllegalArgumentException.class, () -> second.submit(List.of(t)));
    }
    stillServes(scheduler);
    done(t);
    done(fresh);
  }

  @Test
  void badResourcesAreRefusedNamingTheValue() {
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> Resources.of("cpu", -1));
    assertEquals("cpu must be >= 0 but was -1.0", negative.getMessage());
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> Resources.of("mem", Double.NaN));
    assertEquals("mem must be finite but was NaN", nan.getMessage());
    IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
        () -> Resources.of("gpu", Double.POSITIVE_INFINITY));
    assertEquals("gpu must be finite but was Infinity", inf.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Resources.of("", 1));
    assertThrows(IllegalStateException.class, () -> Task.newBuilder().build());
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> Task.newBuilder().priority(1).priority(2));
    assertEquals("priority was already set to 1", twice.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Task.newBuilder().command("x").timeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> Scheduler.newBuilder().maxPendingAllocs(0));
    assertThrows(IllegalStateException.class, () -> Scheduler.newBuilder().build());
  }

  @Test
  void aDrainTimeoutLongerThanTheMaxDrainWaitIsRefusedAtBuildNotCutShort() {
    // Alone, a drain timeout above the default max drain wait was silently cut to 500 ms.
    IllegalStateException alone = assertThrows(IllegalStateException.class,
        () -> Scheduler.newBuilder().cluster(cluster).drainTimeout(Duration.ofSeconds(1)).build());
    assertEquals("drain timeout must be <= max drain wait (PT0.5S by default) but was PT1S:"
        + " raise maxDrainWait too, to at least PT1S", alone.getMessage());
    IllegalStateException shortWait = assertThrows(IllegalStateException.class,
        () -> Scheduler.newBuilder().cluster(cluster).maxDrainWait(Duration.ofMillis(10)).build());
    assertEquals("max drain wait must be >= drain timeout (PT0.05S by default) but was PT0.01S:"
        + " lower drainTimeout too, to at most PT0.01S", shortWait.getMessage());
    IllegalStateException both = assertThrows(IllegalStateException.class,
        () -> Scheduler.newBuilder().cluster(cluster).drainTimeout(Duration.ofSeconds(2))
            .maxDrainWait(Duration.ofSeconds(1)).build());
    assertEquals("max drain wait must be >= drain timeout (PT2S) but was PT1S", both.getMessage());
    // Raised together they build; so do two durations that both mean "never".
    Scheduler.newBuilder().cluster(cluster).jmx(false).drainTimeout(Duration.ofSeconds(1))
        .maxDrainWait(Duration.ofSeconds(1)).build().close();
    Scheduler.newBuilder().cluster(cluster).jmx(false).drainTimeout(Duration.ofDays(400 * 365))
        .maxDrainWait(Duration.ofDays(300 * 365)).build().close();
  }

  /** A min alloc larger than the cluster's largest used to be dropped from every request. */
  @Test
  void aMinAllocTheClusterCanNeverGiveIsRefusedAtBuild() throws Exception {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Scheduler.newBuilder().cluster(cluster).minAlloc(cpuMem(128, 1)).build());
    assertEquals("min alloc must be an alloc the cluster can give but was {cpu:128 mem:1GiB}"
        + " (the largest alloc is {cpu:64 mem:256GiB}): lower minAlloc", e.getMessage());
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false)
        .minAlloc(cpuMem(64, 256)).build()) {
      stillServes(s);
    }
  }

  @Test
  void aBadCommandArgumentIsRefusedNamingItsIndex() {
    NullPointerException nullArg = assertThrows(NullPointerException.class,
        () -> Task.newBuilder().command("echo", null));
    assertEquals("command argument 1 is null", nullArg.getMessage());
    NullPointerException nullProgram = assertThrows(NullPointerException.class,
        () -> new ExecConfig(Arrays.asList(null, "x"), Map.of()));
    assertEquals("command argument 0 is null", nullProgram.getMessage());
    NullPointerException noArray = assertThrows(NullPointerException.class,
        () -> Task.newBuilder().command((String[]) null));
    assertEquals("command", noArray.getMessage());
    IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
        () -> Task.newBuilder().command("echo", "ok", "a\0b"));
    assertEquals("command argument 2 must not contain a NUL character but was \"a\\u0000b\"",
        nul.getMessage());
    IllegalArgumentException noProgram = assertThrows(IllegalArgumentException.class,
        () -> Task.newBuilder().command("", "x"));
    assertEquals("command argument 0 (the program) must not be empty", noProgram.getMessage());
    // An empty argument after the program is fine: printf "" prints nothing.
    assertEquals(List.of("printf", ""), ExecConfig.of("printf", "").command());
  }

  @Test
  void anEnvironmentVariableNeedsANameWithoutEqualsOrNul() {
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> new ExecConfig(List.of("env"), Map.of("", "x")));
    assertEquals("environment variable name must not be empty but was \"\"", empty.getMessage());
    IllegalArgumentException equals = assertThrows(IllegalArgumentException.class,
        () -> new ExecConfig(List.of("env"), Map.of("A=B", "x")));
    assertEquals("environment variable name must not contain '=' but was \"A=B\"",
        equals.getMessage());
    IllegalArgumentException nulName = assertThrows(IllegalArgumentException.class,
        () -> new ExecConfig(List.of("env"), Map.of("A\0B", "x")));
    assertEquals("environment variable name must not contain a NUL character but was"
        + " \"A\\u0000B\"", nulName.getMessage());
    Map<String, String> nullName = new HashMap<>();
    nullName.put(null, "x");
    NullPointerException noName = assertThrows(NullPointerException.class,
        () -> new ExecConfig(List.of("env"), nullName));
    assertEquals("environment variable name is null", noName.getMessage());
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("TOKEN", null);
    NullPointerException noValue = assertThrows(NullPointerException.class,
        () -> new ExecConfig(List.of("env"), nullValue));
    assertEquals("environment variable TOKEN is null", noValue.getMessage());
    // A value may be a secret: the message names the variable, never the value.
    IllegalArgumentException nulValue = assertThrows(IllegalArgumentException.class,
        () -> new ExecConfig(List.of("env"), Map.of("TOKEN", "s3cr3t\0")));
    assertEquals("environment variable TOKEN must not contain a NUL character",
        nulValue.getMessage());
    // The Slurm cluster's own environment follows the same rules.
    IllegalArgumentException slurm = assertThrows(IllegalArgumentException.class,
        () -> SlurmCluster.newBuilder().environment(Map.of("PATH", "/bin", "", "x")));
    assertEquals("environment variable name must not be empty but was \"\"", slurm.getMessage());
    NullPointerException slurmNull = assertThrows(NullPointerException.class,
        () -> SlurmCluster.newBuilder().environment(nullValue));
    assertEquals("environment variable TOKEN is null", slurmNull.getMessage());
  }

  @Test
  void aSecondCommandIsRefusedNamingTheFirstButNeverItsEnvironment() {
    Task.Builder b = Task.newBuilder()
        .exec(new ExecConfig(List.of("env"), Map.of("TOKEN", "s3cr3t")));
    IllegalStateException command = assertThrows(IllegalStateException.class,
        () -> b.command("true"));
    assertEquals("command was already set to [env]", command.getMessage());
    IllegalStateException exec = assertThrows(IllegalStateException.class,
        () -> b.exec(ExecConfig.of("true")));
    assertEquals("command was already set to [env]", exec.getMessage());
  }

  @Test
  void theSlurmBuilderRefusesBadValuesAtOnceNamingThem() {
    IllegalArgumentException prefix = assertThrows(IllegalArgumentException.class,
        () -> SlurmCluster.newBuilder().jobNamePrefix("my\njob"));
    assertEquals("job name prefix must be letters, digits, '.', '-' or '_' but was \"my\\u000Ajob\"",
        prefix.getMessage());
    IllegalArgumentException partition = assertThrows(IllegalArgumentException.class,
        () -> SlurmCluster.newBuilder().partition(" "));
    assertEquals("partition must not be blank", partition.getMessage());
    IllegalArgumentException pending = assertThrows(IllegalArgumentException.class,
        () -> SlurmCluster.newBuilder().pendingTimeout(Duration.ofMillis(500)));
    assertEquals("pending timeout must be >= 1s but was PT0.5S", pending.getMessage());
    IllegalArgumentException keepalive = assertThrows(IllegalArgumentException.class,
        () -> SlurmCluster.newBuilder().keepaliveInterval(Duration.ZERO));
    assertEquals("keepalive interval must be > 0 but was PT0S", keepalive.getMessage());
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> SlurmCluster.newBuilder().partition("batch").partition("gpu"));
    assertEquals("partition was already set to batch", twice.getMessage());
  }

  @Test
  void aNullResourceNameOrLabelIsNamed() {
    NullPointerException name = assertThrows(NullPointerException.class,
        () -> Resources.of("cpu", 1, null, 2));
    assertEquals("resource name is null", name.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> Resources.of("cpu", 1, "mem", 2, "cpu", 3));
    assertEquals("resource cpu is given twice", twice.getMessage());
    Map<String, Double> nullAmount = new HashMap<>();
    nullAmount.put("gpu", null);
    NullPointerException amount = assertThrows(NullPointerException.class,
        () -> new Resources(nullAmount));
    assertEquals("amount of gpu is null", amount.getMessage());
    NullPointerException key = assertThrows(NullPointerException.class,
        () -> Labels.of(null, "batch"));
    assertEquals("label key is null", key.getMessage());
    NullPointerException value = assertThrows(NullPointerException.class,
        () -> Labels.of("team", "a", "queue", null));
    assertEquals("label queue is null", value.getMessage());
    IllegalArgumentException sameKey = assertThrows(IllegalArgumentException.class,
        () -> Labels.of("team", "a", "team", "b"));
    assertEquals("label team is given twice", sameKey.getMessage());
  }

  @Test
  void aRefusedInputLeavesTheBuilderAsItWas() {
    FileRef one = new FileRef(Digest.of(new byte[] {1}), 1);
    FileRef two = new FileRef(Digest.of(new byte[] {2}), 1);
    Task.Builder b = Task.newBuilder().command("cat", "in/x");
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> b.input("../in", Fileset.of(Map.of("x", one))));
    assertTrue(outside.getMessage().startsWith("dir must be a relative path"),
        outside.getMessage());
    b.input(".", Fileset.of(Map.of("in/x", one)));
    IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
        () -> b.input("in", Fileset.of(Map.of("x", two))));
    assertTrue(clash.getMessage().contains("in/x"), clash.getMessage());
    // Neither refused call took its directory: the same call says the same again, and the
    // directory can be used once the files are right.
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> b.input("../in", Fileset.of(Map.of("x", one))));
    assertEquals(outside.getMessage(), again.getMessage());
    b.input("in", Fileset.of(Map.of("y", two)));
    assertEquals(Set.of("in/x", "in/y"), b.build().inputs().files().keySet());
  }

  @Test
  void aTaskWithInputsButNoRepositoryIsRefusedAtSubmit() throws Exception {
    Digest d = Digest.of(new byte[] {1});
    Task t = Task.newBuilder().command("cat", "in/x").input("in",
        Fileset.of(Map.of("x", new FileRef(d, 1)))).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> scheduler.submit(List.of(t)));
    assertTrue(e.getMessage().contains("no repository"), e.getMessage());
    stillServes(scheduler);
  }

  @Test
  void aClusterThatThrowsIsRetriedWithBackoffAndOtherTasksAreServed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    FakeCluster inner = Fixtures.cluster().automatic().execDuration(Duration.ZERO).build();
    Cluster flaky = new Cluster() {
      @Override
      public CompletableFuture<Alloc> allocate(Requirements r, Labels labels) {
        if (calls.incrementAndGet() <= 2) {
          throw new IllegalStateException("cloud api down");
        }
        return inner.allocate(r, labels);
      }

      @Override
      public Admission canAllocate(Resources resources) {
        if (resources.get("boom") > 0) {
          throw new IllegalStateException("cannot price boom");
        }
        return inner.canAllocate(resources);
      }
    };
    try (Scheduler s = scheduler(flaky)
        .allocBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).build()) {
      Task boom = Task.newBuilder().resources(Resources.of("boom", 1)).command("true").build();
      Task ok = task(1, 1);
      s.submit(List.of(boom, ok));
      TaskStatus failed = done(boom);
      assertEquals(TaskException.Kind.UNSATISFIABLE, failed.error().kind());
      assertTrue(failed.error().getMessage().contains("cannot price boom"),
          failed.error().getMessage());
      assertTrue(done(ok).succeeded());
      assertTrue(calls.get() >= 3);
      assertEquals(2, s.counts().allocsFailed());
    }
    inner.checkNoLeaks();
  }

  @Test
  void anExecThatThrowsIsAFailedAttemptAndTheSchedulerGoesOn() throws Exception {
    FakeCluster manual = Fixtures.cluster().build();
    try (Scheduler s = scheduler(manual).build()) {
      Task throwsOnResult = task(1, 1);
      s.submit(List.of(throwsOnResult));
      FakeAlloc a = manual.takeRequest(Fixtures.WAIT).grant(cpuMem(4, 4));
      a.takeExec(WAIT).fail(new IllegalStateException("container runtime crashed"));
      TaskStatus st = done(throwsOnResult);
      assertEquals(TaskException.Kind.FAILED, st.error().kind());
      assertTrue(st.error().getMessage().contains("container runtime crashed"),
          st.error().getMessage());
      assertTrue(st.error().getCause() instanceof IllegalStateException);

      Task next = task(1, 1);
      s.submit(List.of(next));
      a.takeExec(WAIT).succeed();
      assertTrue(done(next).succeeded());
    }
    manual.checkNoLeaks();
  }

  @Test
  void anAllocWhoseStartThrowsFailsTheAttemptOnly() throws Exception {
    AtomicInteger starts = new AtomicInteger();
    FakeCluster inner = Fixtures.cluster().automatic().execDuration(Duration.ZERO).build();
    Cluster c = new Cluster() {
      @Override
      public CompletableFuture<Alloc> allocate(Requirements r, Labels labels) {
        return inner.allocate(r, labels).thenApply(a -> new ThrowingAlloc(a) {
          @Override
          public Exec start(ExecRequest request) {
            if (starts.incrementAndGet() == 1) {
              throw new IllegalStateException("no such binary");
            }
            return a.start(request);
          }
        });
      }

      @Override
      public Admission canAllocate(Resources resources) {
        return inner.canAllocate(resources);
      }
    };
    try (Scheduler s = scheduler(c).maxFailedAttempts(2).build()) {
      List<Task> tasks = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        tasks.add(task(1, 1));
      }
      s.submit(tasks);
      for (Task t : tasks) {
        assertTrue(done(t).succeeded(), t::toString);
      }
      assertEquals(1, s.counts().attemptsFailed());
    }
    inner.checkNoLeaks();
  }

  /** Delegates to a fake alloc; subclasses override what should misbehave. */
  private static class ThrowingAlloc implements Alloc {
    private final Alloc delegate;

    ThrowingAlloc(Alloc delegate) {
      this.delegate = delegate;
    }

    @Override
    public String id() {
      return delegate.id();
    }

    @Override
    public Resources resources() {
      return delegate.resources();
    }

    @Override
    public org.stowage.repository.Repository repository() {
      return delegate.repository();
    }

    @Override
    public Exec start(ExecRequest request) {
      return delegate.start(request);
    }

    @Override
    public CompletableFuture<Duration> keepalive() {
      return delegate.keepalive();
    }

    @Override
    public CompletableFuture<Void> free() {
      return delegate.free();
    }
  }
}
