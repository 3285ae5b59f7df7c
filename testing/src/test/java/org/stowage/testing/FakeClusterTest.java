package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

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
}
