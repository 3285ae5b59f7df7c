package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.fakeTimeCluster;
import static org.stowage.scheduler.Fixtures.fakeTimeScheduler;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;
import org.stowage.testing.FakeTimeSource;

/** Behaviour that depends on time, on a clock the test moves by hand. */
@Timeout(60)
class TimeTest {

  private final FakeTimeSource time = new FakeTimeSource();
  @RegisterExtension
  final ReportOnFailure report = new ReportOnFailure(time);
  private final FakeCluster cluster = fakeTimeCluster(time).build();
  private Scheduler scheduler;

  @AfterEach
  void close() {
    if (scheduler != null) {
      scheduler.close();
    }
    cluster.checkNoLeaks();
  }

  @Test
  void submissionsWithinTheDrainTimeoutArePackedIntoOneRequest() throws Exception {
    scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time)
        .minAlloc(Resources.empty())
        .drainTimeout(Duration.ofMillis(50))
        .maxDrainWait(Duration.ofSeconds(1)).build();
    Task a = task(1, 1);
    scheduler.submit(List.of(a));
    time.advance(Duration.ofMillis(30));
    assertNull(cluster.pollRequest(), "a request went out 30 ms after a, within the drain timeout");
    assertEquals(WaitReason.DRAINING, a.status().waiting());
    Task b = task(1, 1);
    scheduler.submit(List.of(b));
    time.advance(Duration.ofMillis(49));   // 79 ms after a, 49 ms after b: still gathering
    assertNull(cluster.pollRequest(), "a request went out 49 ms after b, within the drain timeout");
    assertEquals(WaitReason.DRAINING, b.status().waiting());
    time.advance(Duration.ofMillis(1));   // 50 ms after b

    FakeCluster.Request r = cluster.pollRequest();
    assertNotNull(r, "no request 50 ms after the last submission");
    assertEquals(new Requirements(cpuMem(1, 1), 1), r.requirements());
    assertNull(cluster.pollRequest(), "more than one request for one burst");
    assertEquals(WaitReason.ALLOC_PENDING, a.status().waiting());
    assertEquals(WaitReason.ALLOC_PENDING, b.status().waiting());
    FakeAlloc alloc = r.grant();
    time.runUntilIdle();
    assertEquals(2, alloc.running().size());
    alloc.running().forEach(FakeExec::succeed);
    time.runUntilIdle();
    assertTrue(a.status().succeeded());
    assertTrue(b.status().succeeded());
  }

  @Test
  void aSteadyTrickleCannotHoldTheDrainOpenPastItsCap() throws Exception {
    scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time)
        .minAlloc(Resources.empty())
        .drainTimeout(Duration.ofMillis(50))
        .maxDrainWait(Duration.ofMillis(200)).build();
    List<Task> trickle = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      assertNull(cluster.pollRequest(), "a request went out " + 40 * i + " ms after the first");
      Task t = task(1, 1);
      trickle.add(t);
      scheduler.submit(List.of(t));
      time.advance(Duration.ofMillis(40));   // always inside the drain timeout of the last one
    }
    // 200 ms after the first submission the burst is packed, though submissions kept coming.
    FakeCluster.Request r = cluster.pollRequest();
    assertNotNull(r, "no request 200 ms after the first submission");
    assertEquals(5, r.requirements().width() + 1);
    FakeAlloc alloc = r.grant();
    time.runUntilIdle();
    assertEquals(5, alloc.running().size());
    alloc.running().forEach(FakeExec::succeed);
    time.runUntilIdle();
    for (Task t : trickle) {
      assertTrue(t.status().succeeded());
    }
  }

  @Test
  void aTaskRunningPastItsTimeoutIsKilledAndEndsTimedOut() throws Exception {
    scheduler = fakeTimeScheduler(cluster, time).build();
    Task t = Task.newBuilder().resources(cpuMem(1, 1)).command("sleep", "999")
        .timeout(Duration.ofSeconds(30)).build();
    scheduler.submit(List.of(t));
    time.runUntilIdle();
    FakeAlloc alloc = cluster.pollRequest().grant();
    time.runUntilIdle();
    assertEquals(State.RUNNING, t.state());
    FakeExec x = alloc.takeExec(WAIT);
    time.advance(Duration.ofSeconds(29));
    assertEquals(State.RUNNING, t.state(), "killed before its timeout");
    assertFalse(x.isKilled(), "killed before its timeout");
    time.advance(Duration.ofSeconds(1));

    TaskStatus s = t.status();
    assertEquals(State.DONE, s.state(), "still running at its timeout");
    assertEquals(TaskException.Kind.TIMED_OUT, s.error().kind());
    assertTrue(s.error().getMessage().contains("PT30S"), s.error().getMessage());
    assertTrue(x.isKilled());
    // Its room returns: a task needing the whole alloc runs there.
    Task next = task(1, 1);
    scheduler.submit(List.of(next));
    alloc.takeExec(WAIT).succeed();
    done(next);
  }

  @Test
  void aTaskWaitingPastTheStarvationThresholdHoldsAnAllocUntilItFits() throws Exception {
    scheduler = fakeTimeScheduler(cluster, time).maxPendingAllocs(1)
        .starvationThreshold(Duration.ofMinutes(1)).build();
    List<Task> smalls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      smalls.add(task(1, 1));
    }
    scheduler.submit(smalls);
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(4, 4));
    List<FakeExec> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add(alloc.takeExec(WAIT));
    }
    // The big task needs the whole alloc; its own request is never answered (no capacity).
    Task big = task(4, 4);
    scheduler.submit(List.of(big));
    FakeCluster.Request unanswered = cluster.takeRequest(WAIT);

    // Before the threshold, each freed slot goes to a newer small task.
    Task newer = task(1, 1);
    scheduler.submit(List.of(newer));
    running.remove(0).succeed();
    FakeExec newerExec = alloc.takeExec(WAIT);
    assertEquals(newer.id(), newerExec.id());
    running.add(newerExec);

    // Past it, the big task holds the alloc: small ones wait, even as room frees up.
    time.advance(Duration.ofMinutes(1));
    List<Task> later = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Task t = task(1, 1);
      later.add(t);
      scheduler.submit(List.of(t));
    }
    await().atMost(WAIT).until(() -> big.status().waiting() == WaitReason.RESERVED);
    for (FakeExec x : running) {
      x.succeed();
    }
    FakeExec bigExec = alloc.takeExec(WAIT);
    assertEquals(big.id(), bigExec.id());
    for (Task t : later) {
      assertEquals(State.INIT, t.state());
    }
    bigExec.succeed();
    for (int i = 0; i < 3; i++) {
      alloc.takeExec(WAIT).succeed();
    }
    for (Task t : later) {
      assertTrue(done(t).succeeded());
    }
    scheduler.close();
    assertTrue(unanswered.isCancelled());
  }

  @Test
  void whenTheClusterIsFullAnIdleAllocNoWaitingTaskFitsIsFreedToMakeRoom() throws Exception {
    scheduler = fakeTimeScheduler(cluster, time)
        .allocBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    Task cpuHeavy = task(4, 1);
    scheduler.submit(List.of(cpuHeavy));
    FakeAlloc wide = cluster.takeRequest(WAIT).grant(cpuMem(4, 1));
    wide.takeExec(WAIT).succeed();
    done(cpuHeavy);

    Task memHeavy = task(1, 8);
    scheduler.submit(List.of(memHeavy));
    cluster.takeRequest(WAIT).fail(new AllocationException(AllocationException.Kind.NOT_NOW,
        "the machine is full"));
    // The idle alloc holds the capacity, and the waiting task does not fit it: it goes...
    await().atMost(WAIT).until(wide::isFreed);
    assertEquals(1, scheduler.counts().allocsFreedIdle());
    // ...and the next try, after the backoff, gets the room.
    await().atMost(WAIT).until(() -> memHeavy.status().waiting() == WaitReason.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    cluster.takeRequest(WAIT).grant().takeExec(WAIT).succeed();
    assertTrue(done(memHeavy).succeeded());
  }

  @Test
  void aBusyAllocIsNotFreedWhenTheClusterIsFull() throws Exception {
    scheduler = fakeTimeScheduler(cluster, time).maxPendingAllocs(1).build();
    Task first = task(2, 2);
    scheduler.submit(List.of(first));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(2, 2));
    FakeExec x = alloc.takeExec(WAIT);
    Task big = task(8, 8);
    Task small = task(2, 2);
    scheduler.submit(List.of(big, small));
    cluster.takeRequest(WAIT).fail(new AllocationException(AllocationException.Kind.NOT_NOW,
        "quota"));
    await().atMost(WAIT).until(() -> big.status().waiting() == WaitReason.BACKING_OFF);
    x.succeed();
    // Busy when the cluster refused, it goes on to run the small task.
    alloc.takeExec(WAIT).succeed();
    done(small);
    assertTrue(!alloc.isFreed());
    assertEquals(0, scheduler.counts().allocsFreedIdle());
  }

  @Test
  void aLostAttemptStartsItsStarvationClockAgainWhenQueuedAgain() throws Exception {
    scheduler = fakeTimeScheduler(cluster, time).maxPendingAllocs(1)
        .starvationThreshold(Duration.ofMinutes(1)).build();
    Task a = task(2, 2);
    scheduler.submit(List.of(a));
    FakeExec ax = cluster.takeRequest(WAIT).grant(cpuMem(2, 2)).takeExec(WAIT);
    Task b = task(2, 2);
    scheduler.submit(List.of(b));
    FakeExec bx = cluster.takeRequest(WAIT).grant(cpuMem(2, 2)).takeExec(WAIT);
    reach(a, State.RUNNING);
    time.advance(Duration.ofMinutes(2));   // a ran for two minutes: that was no wait

    ax.fail(new AllocLostException("node rebooted"));
    FakeCluster.Request again = cluster.takeRequest(WAIT);
    assertEquals(1, a.attempt());
    // Not starved: it asks for an alloc instead of holding b's.
    assertEquals(WaitReason.ALLOC_PENDING, a.status().waiting());
    again.grant().takeExec(WAIT).succeed();
    bx.succeed();
    assertTrue(done(a).succeeded());
  }

  @Test
  void anExecThatIgnoresKillIsGivenUpOnAfterTheKillTimeout() throws Exception {
    AtomicBoolean killAsked =
        new AtomicBoolean();
    Cluster deaf = new Cluster() {
      @Override
      public CompletableFuture<Alloc> allocate(Requirements r, Labels l) {
        return cluster.allocate(r, l).thenApply(a -> new DeafAlloc(a, killAsked));
      }

      @Override
      public Admission canAllocate(Resources resources) {
        return cluster.canAllocate(resources);
      }
    };
    scheduler = fakeTimeScheduler(deaf, time).killTimeout(Duration.ofSeconds(30)).build();
    Task stubborn = task(2, 2);
    scheduler.submit(List.of(stubborn));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(2, 2));
    FakeExec x = alloc.takeExec(WAIT);
    reach(stubborn, State.RUNNING);
    Task next = task(2, 2);
    scheduler.submit(List.of(next));
    await().atMost(WAIT).until(() -> next.status().waiting() == WaitReason.ALLOC_PENDING);

    stubborn.cancel();
    await().atMost(WAIT).until(killAsked::get);   // sent after the kill timeout was armed
    time.advance(Duration.ofSeconds(29));
    assertEquals(State.RUNNING, stubborn.state());
    time.advance(Duration.ofSeconds(1));
    assertEquals(TaskException.Kind.CANCELLED, done(stubborn).error().kind());
    // Its room is given up on, and goes to the next task.
    FakeExec nextExec = alloc.takeExec(WAIT);
    assertEquals(next.id(), nextExec.id());
    nextExec.succeed();
    done(next);
    x.succeed();   // it ends at last, long after; the scheduler ignores it
  }

  /** An alloc whose execs ignore kill(). */
  private static final class DeafAlloc implements Alloc {
    private final Alloc alloc;
    private final AtomicBoolean killAsked;

    DeafAlloc(Alloc alloc, AtomicBoolean killAsked) {
      this.alloc = alloc;
      this.killAsked = killAsked;
    }

    @Override
    public String id() {
      return alloc.id();
    }

    @Override
    public Resources resources() {
      return alloc.resources();
    }

    @Override
    public org.stowage.repository.Repository repository() {
      return alloc.repository();
    }

    @Override
    public Exec start(ExecRequest request) {
      Exec x = alloc.start(request);
      return new Exec() {
        @Override
        public String id() {
          return x.id();
        }

        @Override
        public CompletableFuture<ExecResult> result() {
          return x.result();
        }

        @Override
        public void kill() {
          killAsked.set(true);   // and nothing else
        }
      };
    }

    @Override
    public CompletableFuture<Duration> keepalive() {
      return alloc.keepalive();
    }

    @Override
    public CompletableFuture<Void> free() {
      return alloc.free();
    }
  }
}
