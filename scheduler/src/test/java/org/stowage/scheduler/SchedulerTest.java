package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cluster;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.scheduler;
import static org.stowage.scheduler.Fixtures.task;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;

/** The scheduler's behaviour through its public API, on a cluster answered by hand. */
@Timeout(60)
class SchedulerTest {

  private final FakeCluster cluster = cluster().build();
  private Scheduler scheduler = scheduler(cluster).build();

  @AfterEach
  void closeAndCheckLeaks() {
    scheduler.close();
    cluster.checkNoLeaks();
  }

  @Test
  void oneTaskMakesOneRequestOfExactlyItsSize() throws Exception {
    Task t = task(2, 4);
    scheduler.submit(List.of(t));

    FakeCluster.Request r = cluster.takeRequest(WAIT);
    assertEquals(new Requirements(cpuMem(2, 4), 0), r.requirements());
    FakeAlloc alloc = r.grant();
    FakeExec exec = alloc.takeExec(WAIT);
    assertEquals(t.id(), exec.id());
    assertEquals(List.of("true"), exec.request().config().command());
    reach(t, State.RUNNING);
    exec.succeed();

    assertTrue(done(t).succeeded());
    assertEquals(0, t.result().exitCode());
    assertNull(t.error());
    assertEquals(1, cluster.requests().size());
  }

  @Test
  void severalTasksMakeOneRequestWideEnoughForAll() throws Exception {
    List<Task> tasks = List.of(task(2, 4), task(1, 2), task(1, 2), task(2, 4));
    scheduler.submit(tasks);

    FakeCluster.Request r = cluster.takeRequest(WAIT);
    // The largest task sets the unit; the four need three such units: width 2.
    assertEquals(new Requirements(cpuMem(2, 4), 2), r.requirements());
    FakeAlloc alloc = r.grant();
    for (int i = 0; i < tasks.size(); i++) {
      alloc.takeExec(WAIT).succeed();
    }
    for (Task t : tasks) {
      assertTrue(done(t).succeeded());
    }
    assertEquals(1, cluster.requests().size());
    assertEquals(cpuMem(6, 12), alloc.resources());
  }

  @Test
  void higherPriorityRunsFirstAndFillsTheAllocItGets() throws Exception {
    Task low = task(1, 1, 2);
    Task high = task(1, 1, 0);
    Task mid = task(1, 1, 1);
    scheduler.submit(List.of(low, high, mid));

    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(2, 2));
    FakeExec first = alloc.takeExec(WAIT);
    FakeExec second = alloc.takeExec(WAIT);
    assertEquals(List.of(high.id(), mid.id()).stream().sorted().toList(),
        List.of(first.id(), second.id()).stream().sorted().toList());
    assertEquals(State.INIT, low.state());

    // Finishing one makes room for the last, on the same alloc.
    first.succeed();
    FakeExec third = alloc.takeExec(WAIT);
    assertEquals(low.id(), third.id());
    second.succeed();
    third.succeed();
    done(low);
  }

  @Test
  void taskTooLargeForTheClusterFailsAtOnceWithoutARequest() throws Exception {
    FakeCluster small = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).build();
    try (Scheduler s = scheduler(small).build()) {
      Task big = task(32, 8);
      Task fine = task(1, 1);
      s.submit(List.of(big, fine));

      TaskStatus status = done(big);
      assertEquals(TaskException.Kind.UNSATISFIABLE, status.error().kind());
      assertTrue(status.error().getMessage().contains("{cpu:32 mem:8GiB}"),
          status.error().getMessage());
      assertTrue(status.error().getMessage().contains("{cpu:16 mem:64GiB}"),
          status.error().getMessage());
      FakeCluster.Request r = small.takeRequest(WAIT);
      assertEquals(cpuMem(1, 1), r.requirements().min());
      r.grant().takeExec(WAIT).succeed();
      done(fine);
      assertEquals(1, small.requests().size());
    }
    small.checkNoLeaks();
  }

  @Test
  void tasksOfADeadAllocAreLostAndRunAgainOnANewAllocAsAttemptOne() throws Exception {
    Task t = task(1, 1);
    List<TaskStatus> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    t.subscribe(seen::add);
    scheduler.submit(List.of(t));
    FakeAlloc first = cluster.takeRequest(WAIT).grant();
    first.takeExec(WAIT);
    reach(t, State.RUNNING);
    String firstId = t.id();

    first.fail("machine unplugged");
    FakeAlloc second = cluster.takeRequest(WAIT).grant();
    FakeExec retry = second.takeExec(WAIT);
    assertEquals(1, t.attempt());
    assertEquals(t.key() + ".1", retry.id());
    assertNotEquals(firstId, retry.id());
    retry.succeed();

    assertTrue(done(t).succeeded());
    await().atMost(WAIT).until(first::isFreed);
    List<State> states = seen.stream().map(TaskStatus::state).distinct().toList();
    assertTrue(states.contains(State.LOST), states::toString);
    List<State> transitions = new java.util.ArrayList<>();
    for (TaskStatus s : seen) {
      if (transitions.isEmpty() || transitions.get(transitions.size() - 1) != s.state()) {
        transitions.add(s.state());
      }
    }
    assertEquals(List.of(State.INIT, State.STAGING, State.RUNNING, State.LOST, State.INIT,
        State.STAGING, State.RUNNING, State.DONE), transitions);
  }

  @Test
  void noDuplicateRequestWhileEnoughCapacityIsPending() throws Exception {
    Task a = task(4, 4);
    Task b = task(2, 2);
    scheduler.submit(List.of(a, b));
    FakeCluster.Request r = cluster.takeRequest(WAIT);
    // Asked for two units of the largest task, {cpu:8 mem:8GiB}: room to spare.
    assertEquals(new Requirements(cpuMem(4, 4), 1), r.requirements());

    // More work that fits in what was asked for: it waits for that request.
    Task c = task(1, 1);
    scheduler.submit(List.of(c));
    await().atMost(WAIT).until(() -> c.status().waiting() == WaitReason.ALLOC_PENDING);
    // And events that trigger passes (a cancel) still make no new request.
    Task d = task(1, 1);
    scheduler.submit(List.of(d));
    d.cancel();
    done(d);
    assertNull(cluster.pollRequest());
    assertEquals(1, cluster.requests().size());

    // The alloc comes back smaller than asked: what did not fit gets a request of its own.
    FakeAlloc alloc = r.grant(cpuMem(6, 6));
    alloc.takeExec(WAIT);
    alloc.takeExec(WAIT);
    FakeCluster.Request more = cluster.takeRequest(WAIT);
    assertEquals(cpuMem(1, 1), more.requirements().min());
    more.grant().takeExec(WAIT).succeed();
    done(c);
    for (FakeExec x : alloc.execs()) {
      x.succeed();
    }
  }

  @Test
  void awaitOnAStateIsSatisfiedForGoodOnceReachedEvenAfterALoss() throws Exception {
    Task t = task(1, 1);
    CompletableFuture<Task> running = t.await(State.RUNNING);
    CompletableFuture<Task> finished = t.await(State.DONE);
    assertTrue(t.await(State.INIT).isDone());
    scheduler.submit(List.of(t));
    FakeAlloc first = cluster.takeRequest(WAIT).grant();
    first.takeExec(WAIT);
    assertEquals(t, running.get(WAIT.toSeconds(), TimeUnit.SECONDS));

    first.fail("gone");
    FakeCluster.Request again = cluster.takeRequest(WAIT);
    assertEquals(State.INIT, t.state());
    // Reached before, so satisfied now although the task is back in INIT.
    assertTrue(t.await(State.RUNNING).isDone());
    assertFalse(finished.isDone());

    again.grant().takeExec(WAIT).exit(3);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> finished.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    TaskException error = assertInstanceOf(TaskException.class, e.getCause());
    assertEquals(TaskException.Kind.FAILED, error.kind());
    assertEquals(3, error.result().exitCode());
    assertNull(t.result());
  }

  @Test
  void cancellingAnAwaitStopsOnlyTheWait() throws Exception {
    Task t = task(1, 1);
    scheduler.submit(List.of(t));
    CompletableFuture<Task> wait = t.await(State.DONE);
    wait.cancel(false);
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    alloc.takeExec(WAIT).succeed();
    assertTrue(t.await(State.DONE).get(WAIT.toSeconds(), TimeUnit.SECONDS).status().succeeded());
  }

  @Test
  void failedAttemptsAreRetriedUpToTheirOwnCap() throws Exception {
    scheduler.close();
    scheduler = scheduler(cluster).maxFailedAttempts(2).build();
    Task t = task(1, 1);
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    alloc.takeExec(WAIT).exit(1);
    FakeExec second = alloc.takeExec(WAIT);
    assertEquals(t.key() + ".1", second.id());
    second.exit(2);

    TaskStatus s = done(t);
    assertEquals(TaskException.Kind.FAILED, s.error().kind());
    assertEquals(2, s.error().result().exitCode());
    assertTrue(s.error().getMessage().contains("exited with code 2"), s.error().getMessage());
    assertTrue(s.error().getMessage().contains("2 failed of at most 2"), s.error().getMessage());
  }

  @Test
  void cancellingAQueuedTaskRemovesIt() throws Exception {
    Task t = task(1, 1);
    scheduler.submit(List.of(t));
    FakeCluster.Request r = cluster.takeRequest(WAIT);
    assertTrue(t.cancel());

    TaskStatus s = done(t);
    assertEquals(TaskException.Kind.CANCELLED, s.error().kind());
    assertFalse(t.cancel());
    FakeAlloc alloc = r.grant();
    assertTrue(alloc.execs().isEmpty());
  }

  @Test
  void cancellingARunningTaskKillsItsExecAndReturnsItsResources() throws Exception {
    Task first = task(2, 2);
    scheduler.submit(List.of(first));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(2, 2));
    FakeExec exec = alloc.takeExec(WAIT);
    reach(first, State.RUNNING);
    Task next = task(2, 2);
    scheduler.submit(List.of(next));
    await().atMost(WAIT).until(() -> next.status().waiting() == WaitReason.ALLOC_PENDING);

    first.cancel();
    assertEquals(TaskException.Kind.CANCELLED, done(first).error().kind());
    assertTrue(exec.isKilled());
    // The freed room goes to the next task, on the same alloc.
    FakeExec nextExec = alloc.takeExec(WAIT);
    assertEquals(next.id(), nextExec.id());
    nextExec.succeed();
    done(next);
  }

  @Test
  void cancellingBeforeSubmitEndsTheTaskAndSubmitRefusesIt() throws Exception {
    Task t = task(1, 1);
    assertTrue(t.cancel());
    assertEquals(TaskException.Kind.CANCELLED, done(t).error().kind());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> scheduler.submit(List.of(t)));
    assertTrue(e.getMessage().contains("already done"), e.getMessage());
  }

  @Test
  void closingFailsQueuedTasksKillsRunningOnesAndFreesEveryAlloc() throws Exception {
    Task running = task(1, 1);
    scheduler.submit(List.of(running));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(1, 1));
    FakeExec exec = alloc.takeExec(WAIT);
    reach(running, State.RUNNING);
    Task queued = task(1, 1);
    scheduler.submit(List.of(queued));
    FakeCluster.Request unanswered = cluster.takeRequest(WAIT);

    scheduler.close();

    assertEquals(TaskException.Kind.CLOSED, done(queued).error().kind());
    assertTrue(done(queued).error().getMessage().contains("did not run"));
    assertEquals(TaskException.Kind.CLOSED, done(running).error().kind());
    assertTrue(exec.isKilled());
    assertTrue(alloc.isFreed());
    assertTrue(unanswered.isCancelled());
    // An alloc granted after the scheduler gave up on the request is freed, not leaked.
    FakeAlloc late = unanswered.grant();
    assertTrue(late.isFreed());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> scheduler.submit(List.of(task(1, 1))));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void statusAlwaysCarriesAnIdAndTheAllocWhilePlaced() throws Exception {
    Task t = task(1, 1);
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    FakeExec x = alloc.takeExec(WAIT);
    reach(t, State.RUNNING);
    TaskStatus s = t.status();
    assertEquals(alloc.id(), s.allocId());
    assertNotNull(s.id());
    x.succeed();
    assertNull(done(t).allocId());
  }
}
