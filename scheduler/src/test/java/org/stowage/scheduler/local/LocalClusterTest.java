package org.stowage.scheduler.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.stowage.scheduler.ProcessFixtures.contents;
import static org.stowage.scheduler.ProcessFixtures.marker;
import static org.stowage.scheduler.ProcessFixtures.processesWith;
import static org.stowage.scheduler.local.LocalFixtures.MACHINE;
import static org.stowage.scheduler.local.LocalFixtures.WAIT;
import static org.stowage.scheduler.local.LocalFixtures.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.process.ProcessTree;

/** The local cluster's allocation, keepalive, death and closing, seen through the SPI. */
@Timeout(60)
class LocalClusterTest {

  @TempDir Path tmp;
  private LocalCluster cluster;

  private LocalCluster cluster() {
    cluster = LocalFixtures.cluster(tmp.resolve("work"));
    return cluster;
  }

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Resources cpuMem(double cpu, double memGiB) {
    return Resources.of(Resources.CPU, cpu, Resources.MEM, memGiB * Resources.GiB);
  }

  private static Alloc granted(CompletableFuture<Alloc> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static AllocationException refused(CompletableFuture<Alloc> f) {
    ExecutionException e = assertThrows(ExecutionException.class, f::get);
    return assertInstanceOf(AllocationException.class, e.getCause());
  }

  @Test
  void needsLargerThanTheMachineAreNeverAdmittedAndTheReasonGivesItsSize() {
    LocalCluster c = cluster();

    Admission tooMuchCpu = c.canAllocate(cpuMem(3, 1));
    Admission tooMuchMem = c.canAllocate(cpuMem(1, 5));
    Admission gpu = c.canAllocate(Resources.of(Resources.CPU, 1, "gpu", 1));

    assertFalse(tooMuchCpu.possible());
    assertEquals("this machine has {cpu:2 mem:4GiB}", tooMuchCpu.reason());
    assertFalse(tooMuchMem.possible());
    assertEquals("this machine has {cpu:2 mem:4GiB}", tooMuchMem.reason());
    assertFalse(gpu.possible());
    assertEquals("this machine has {cpu:2 mem:4GiB} and no gpu", gpu.reason());
    assertTrue(c.canAllocate(MACHINE).possible());
    assertTrue(c.canAllocate(Resources.of(Resources.DISK, 10 * Resources.TiB)).possible(),
        "disk is not accounted");
  }

  @Test
  void allocatingMoreThanTheMachineFailsForever() {
    AllocationException e = refused(cluster().allocate(new Requirements(cpuMem(4, 1), 0),
        Labels.empty()));

    assertEquals(AllocationException.Kind.NEVER, e.kind());
    assertTrue(e.getMessage().contains("this machine has {cpu:2 mem:4GiB}"), e.getMessage());
  }

  @Test
  void grantsAsMuchOfTheRequestAsIsFreeButAtLeastItsMinimum() throws Exception {
    LocalCluster c = cluster();

    Alloc first = granted(c.allocate(new Requirements(cpuMem(0.5, 1), 0), Labels.empty()));
    Alloc second = granted(c.allocate(new Requirements(cpuMem(1, 1), 3), Labels.empty()));

    assertEquals("local-1", first.id());
    assertEquals(cpuMem(0.5, 1), first.resources(), "exactly the request when width is 0");
    assertEquals("local-2", second.id());
    assertEquals(cpuMem(1.5, 3), second.resources(), "max {cpu:4 mem:4GiB} capped at what was free");
    assertEquals(Resources.empty(), c.free());
  }

  @Test
  void whatIsNotFreeNowIsRefusedForNowNamingWhatIsFreeAndReturnsWhenFreed() throws Exception {
    LocalCluster c = cluster();
    Alloc big = granted(c.allocate(new Requirements(cpuMem(1.5, 1), 0), Labels.empty()));

    AllocationException e = refused(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
    assertEquals(AllocationException.Kind.NOT_NOW, e.kind());
    assertEquals("{cpu:1 mem:1GiB} is not free now: free {cpu:0.5 mem:3GiB} of {cpu:2 mem:4GiB},"
        + " held by 1 alloc", e.getMessage());

    big.free().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(MACHINE, c.free());
    Alloc again = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
    assertEquals(cpuMem(1, 1), again.resources());
  }

  @Test
  void keepaliveAsksForAnotherInASecondUntilTheAllocIsKilledOrFreed() throws Exception {
    LocalCluster c = cluster();
    Alloc a = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
    Alloc b = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));

    assertEquals(Duration.ofSeconds(1), a.keepalive().get());
    c.kill(a.id());
    b.free().get(WAIT.toSeconds(), TimeUnit.SECONDS);

    ExecutionException dead = assertThrows(ExecutionException.class, () -> a.keepalive().get());
    assertInstanceOf(AllocLostException.class, dead.getCause());
    assertTrue(dead.getCause().getMessage().contains("killed by LocalCluster.kill"));
    ExecutionException freed = assertThrows(ExecutionException.class, () -> b.keepalive().get());
    assertInstanceOf(AllocLostException.class, freed.getCause());
    assertThrows(AllocLostException.class, () -> a.start(request("true")));
    assertEquals(cpuMem(1, 3), c.free(), "a dead alloc holds its slice until it is freed");
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> c.kill(a.id()));
    assertTrue(unknown.getMessage().contains("live: []"), unknown.getMessage());
  }

  @Test
  void freeIsIdempotentAndDeletesTheAllocsDirectory() throws Exception {
    LocalCluster c = cluster();
    Alloc a = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
    assertEquals(1, Files.list(c.workDir()).count());

    CompletableFuture<Void> first = a.free();
    assertEquals(first, a.free());
    first.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertEquals(List.of(), contents(c.workDir()));
    assertEquals(MACHINE, c.free());
  }

  @Test
  void closeKillsEveryProcessAndLeavesNoDirectory() throws Exception {
    LocalCluster c = LocalCluster.newBuilder().cpu(2).memory(4 * Resources.GiB).build();
    Path workDir = c.workDir();
    String marker = marker();
    try {
      for (int i = 0; i < 2; i++) {
        Alloc a = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
        a.start(request("sh", "-c", "sleep " + marker + " & sleep " + marker + "; wait"));
      }
      await().atMost(WAIT).until(() -> processesWith(marker).size() == 6);
    } finally {
      c.close();
    }

    assertEquals(List.of(), processesWith(marker));
    assertFalse(Files.exists(workDir), workDir + " should be deleted");
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> {
      try {
        c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()).join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause();
      }
    });
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    c.close();
  }

  @Test
  void closeKillsAChildThatLeftTheExecsSessionWhereExecsHaveCgroups() throws Exception {
    LocalCluster c = cluster();
    LocalAlloc a = (LocalAlloc) granted(c.allocate(new Requirements(cpuMem(1, 1), 0),
        Labels.empty()));
    assumeTrue(a.confined(), "only a cgroup holds a process that leaves its session");
    String marker = marker();
    Path pids = tmp.resolve("pids");
    a.start(new ExecRequest("t1.0", "test", new ExecConfig(List.of("sh", "-c",
        LocalFixtures.detachedChild(marker, true) + "; sleep " + marker),
        java.util.Map.of("PIDS", pids.toString())), Resources.empty(), Fileset.empty()));
    ProcessHandle child = LocalFixtures.detached(pids);

    c.close();

    assertFalse(ProcessTree.running(child), "the detached child " + child.pid() + " still runs");
    assertEquals(List.of(), processesWith(marker));
    assertEquals(List.of(), contents(tmp.resolve("work")));
  }

  @Test
  void aWorkDirectoryGivenByTheUserIsKeptButEmptied() throws Exception {
    LocalCluster c = cluster();
    Alloc a = granted(c.allocate(new Requirements(cpuMem(1, 1), 0), Labels.empty()));
    Exec x = a.start(request("sh", "-c", "sleep " + marker()));
    assertFalse(x.result().isDone());

    c.close();

    assertTrue(Files.isDirectory(tmp.resolve("work")));
    assertEquals(List.of(), contents(tmp.resolve("work")));
    assertTrue(x.result().isDone(), "close waits for the execs it kills");
  }

  @Test
  void builderChecksItsOptions() {
    assertEquals("cpu must be > 0 and finite but was 0.0", assertThrows(
        IllegalArgumentException.class, () -> LocalCluster.newBuilder().cpu(0)).getMessage());
    assertEquals("memory must be > 0 but was -1", assertThrows(
        IllegalArgumentException.class, () -> LocalCluster.newBuilder().memory(-1)).getMessage());
    assertEquals("cpu was already set to 2.0", assertThrows(IllegalStateException.class,
        () -> LocalCluster.newBuilder().cpu(2).cpu(3)).getMessage());
  }

  @Test
  void ofThisMachineOffersWhatTheJvmSees() {
    try (LocalCluster c = LocalCluster.ofThisMachine()) {
      assertEquals(Runtime.getRuntime().availableProcessors(), c.total().get(Resources.CPU));
      assertTrue(c.total().get(Resources.MEM) >= Runtime.getRuntime().maxMemory() / 2,
          c.total().toString());
    }
  }

  static ExecRequest request(String... command) {
    return new ExecRequest("t1.0", "test", new ExecConfig(List.of(command), java.util.Map.of()),
        Resources.empty(), Fileset.empty());
  }
}
