package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.scheduler;
import static org.stowage.scheduler.Fixtures.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;
import org.stowage.testing.FakeTimeSource;

/**
 * One test for each weakness of Reflow's scheduler (reference analysis, section 8) that applies
 * here, showing this scheduler does not have it.
 */
@Timeout(60)
class ReflowBugsTest {

  /** Reflow 1: a pending request is credited with one unit, so more requests follow for the rest. */
  @Test
  void aPendingRequestIsCreditedWithAllItAskedForSoNoSecondRequestIsMade() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler s = scheduler(cluster).build()) {
      List<Task> tasks = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        tasks.add(task(2, 2));
      }
      s.submit(tasks);
      FakeCluster.Request r = cluster.takeRequest(WAIT);
      assertEquals(new Requirements(cpuMem(2, 2), 5), r.requirements());
      // Every later event runs a pass; with one unit credited, each would ask again.
      for (int i = 0; i < 5; i++) {
        tasks.get(i).cancel();
        done(tasks.get(i));
      }
      assertEquals(1, cluster.requests().size());
      FakeAlloc a = r.grant();
      a.takeExec(WAIT).succeed();
      assertTrue(done(tasks.get(5)).succeeded());
    }
    cluster.checkNoLeaks();
  }

  /** Reflow 6: an alloc cancelled for idleness stays placeable until it is gone. */
  @Test
  void anAllocFreedForIdlenessNeverReceivesAnotherTask() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    try (Scheduler s = Fixtures.fakeTimeScheduler(cluster, time)
        .maxAllocIdleTime(Duration.ofMinutes(5)).build()) {
      Task first = task(1, 1);
      s.submit(List.of(first));
      FakeAlloc a = cluster.takeRequest(WAIT).grant();
      a.takeExec(WAIT).succeed();
      done(first);

      time.advance(Duration.ofMinutes(5));
      await().atMost(WAIT).until(a::isFreed);
      Task next = task(1, 1);
      s.submit(List.of(next));
      FakeAlloc b = cluster.takeRequest(WAIT).grant();
      b.takeExec(WAIT).succeed();
      assertTrue(done(next).succeeded());
      assertEquals(1, a.execs().size(), "the freed alloc got a task");
      assertEquals(1, s.counts().allocsFreedIdle());
    }
    cluster.checkNoLeaks();
  }

  /** An alloc that gets work again just before its idle deadline is kept. */
  @Test
  void anAllocBusyAgainBeforeItsIdleDeadlineIsKept() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    try (Scheduler s = Fixtures.fakeTimeScheduler(cluster, time)
        .maxAllocIdleTime(Duration.ofMinutes(5)).build()) {
      Task first = task(1, 1);
      s.submit(List.of(first));
      FakeAlloc a = cluster.takeRequest(WAIT).grant();
      a.takeExec(WAIT).succeed();
      done(first);
      time.advance(Duration.ofMinutes(4));
      Task second = task(1, 1);
      s.submit(List.of(second));
      FakeExec x = a.takeExec(WAIT);
      time.advance(Duration.ofMinutes(2));
      x.succeed();
      done(second);
      assertTrue(!a.isFreed());
      assertEquals(1, cluster.requests().size());
    }
  }

  /** Reflow 8: lost tasks are retried without limit. */
  @Test
  void aTaskLostAgainAndAgainEndsAfterTheLostCapWithAnErrorSayingSo() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler s = scheduler(cluster).maxLostAttempts(2).build()) {
      Task t = task(1, 1);
      s.submit(List.of(t));
      for (int i = 0; i < 2; i++) {
        FakeAlloc a = cluster.takeRequest(WAIT).grant();
        a.takeExec(WAIT);
        a.fail("crash " + i);
      }
      TaskStatus status = done(t);
      assertEquals(TaskException.Kind.LOST, status.error().kind());
      assertTrue(status.error().getMessage().contains("lost 2 times"), status.error().getMessage());
      assertTrue(status.error().getMessage().contains("crash 1"), status.error().getMessage());
      assertEquals(2, s.counts().attemptsLost());
      assertEquals(2, cluster.requests().size());
    }
    cluster.checkNoLeaks();
  }

  /** Reflow 4: a big task that fits no live alloc keeps smaller ones off free capacity. */
  @Test
  void aTaskThatFitsNowhereDoesNotBlockSmallerOnesBehindIt() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler s = scheduler(cluster).maxPendingAllocs(1).build()) {
      Task warm = task(2, 2);
      s.submit(List.of(warm));
      FakeAlloc a = cluster.takeRequest(WAIT).grant(cpuMem(4, 4));
      FakeExec warmExec = a.takeExec(WAIT);

      Task big = task(8, 8, 0);
      Task small = task(1, 1, 5);
      s.submit(List.of(big, small));
      FakeExec smallExec = a.takeExec(WAIT);
      assertEquals(small.id(), smallExec.id());
      assertEquals(State.INIT, big.state());
      FakeCluster.Request forBig = cluster.takeRequest(WAIT);
      assertEquals(cpuMem(8, 8), forBig.requirements().min());
      forBig.grant().takeExec(WAIT).succeed();
      smallExec.succeed();
      warmExec.succeed();
      done(big);
    }
    cluster.checkNoLeaks();
  }

  /** Reflow 9: a task can end DONE with neither a result nor an error. */
  @Test
  void underAllocChurnEveryDoneTaskHasExactlyOneOfResultAndError() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder()
        .maxAlloc(cpuMem(8, 8)).automatic().keepaliveInterval(Duration.ofMillis(5)).build();
    Random random = new Random(42);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      tasks.add(task(1 + random.nextInt(4), 1 + random.nextInt(4)));
    }
    try (Scheduler s = scheduler(cluster).maxLostAttempts(100).build()) {
      s.submit(tasks);
      // Finish or fail execs, and kill allocs, in a seeded random order until all are done.
      await().atMost(Duration.ofSeconds(40)).until(() -> {
        for (FakeAlloc a : cluster.allocs()) {
          for (FakeExec x : a.running()) {
            int roll = random.nextInt(10);
            if (roll < 6) {
              x.succeed();
            } else if (roll < 7) {
              x.exit(1);
            } else if (roll < 8 && !a.isFailed()) {
              a.fail("chaos");
              x.succeed();  // the exec ends just as its alloc dies
            }
          }
        }
        return tasks.stream().allMatch(t -> t.state() == State.DONE);
      });
    }
    for (Task t : tasks) {
      TaskStatus st = t.status();
      assertNotEquals(st.result() == null, st.error() == null, () -> t + ": " + st);
    }
    cluster.checkNoLeaks();
  }

  /** Reflow 15: Submit blocks while the loop is busy, and forever after the loop ends. */
  @Test
  void submitNeverBlocksAndFailsFastAfterClose() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    Scheduler s = scheduler(cluster).build();
    for (int i = 0; i < 1000; i++) {
      s.submit(List.of(task(1, 1)));
    }
    s.close();
    Task late = task(1, 1);
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class, () -> s.submit(List.of(late)));
    assertTrue(e.getMessage().contains("closed"));
    assertEquals(State.INIT, late.state());
    cluster.checkNoLeaks();
  }

  /** Reflow 5: a failed request is retried on the next event, with no backoff. */
  @Test
  void failedRequestsBackOffExponentially() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    try (Scheduler s = Fixtures.fakeTimeScheduler(cluster, time)
        .allocBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8)).build()) {
      Task t = task(1, 1);
      s.submit(List.of(t));
      cluster.takeRequest(WAIT).fail(new AllocationException(
          AllocationException.Kind.NOT_NOW, "quota exceeded"));
      await().atMost(WAIT).until(() -> t.status().waiting() == WaitReason.BACKING_OFF);
      s.submit(List.of(task(1, 1)));   // an event, but still backing off
      time.advance(Duration.ofMillis(999));
      assertEquals(1, cluster.requests().size());
      time.advance(Duration.ofMillis(1));
      cluster.takeRequest(WAIT).fail(new AllocationException(
          AllocationException.Kind.NOT_NOW, "quota exceeded"));
      await().atMost(WAIT).until(() -> t.status().waiting() == WaitReason.BACKING_OFF);
      time.advance(Duration.ofMillis(1999));
      assertEquals(2, cluster.requests().size());
      time.advance(Duration.ofMillis(1));
      FakeAlloc a = cluster.takeRequest(WAIT).grant();
      a.takeExec(WAIT).succeed();
      a.takeExec(WAIT).succeed();
      assertTrue(done(t).succeeded());
      assertEquals(2, s.counts().allocsFailed());
    }
  }

  /** Reflow 7 and 16: alloc I/O in the loop, and evicted allocs never freed. */
  @Test
  void aDeadAllocIsFreedAndItsExecsKilled() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler s = scheduler(cluster).build()) {
      Task t = task(1, 1);
      s.submit(List.of(t));
      FakeAlloc a = cluster.takeRequest(WAIT).grant();
      FakeExec x = a.takeExec(WAIT);
      reach(t, State.RUNNING);
      a.fail("network partition");
      await().atMost(WAIT).until(a::isFreed);
      assertTrue(x.isKilled());
      assertEquals(1, s.counts().allocsDead());
      cluster.takeRequest(WAIT).grant().takeExec(WAIT).succeed();
      done(t);
    }
    cluster.checkNoLeaks();
  }
}
