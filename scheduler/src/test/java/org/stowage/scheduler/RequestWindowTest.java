package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.fakeTimeCluster;
import static org.stowage.scheduler.Fixtures.fakeTimeScheduler;
import static org.stowage.scheduler.Fixtures.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeTimeSource;

/**
 * How many allocation requests are in flight: a window that starts small, grows with each alloc
 * granted, halves on a refusal and never passes {@code maxPendingAllocs}. Each task here needs a
 * whole alloc, so each request is for one task and the count of requests is the window.
 */
@Timeout(60)
class RequestWindowTest {

  private final FakeTimeSource time = new FakeTimeSource();
  private final FakeCluster cluster = fakeTimeCluster(time).build();
  private @Nullable Scheduler scheduler;

  @AfterEach
  void close() {
    if (scheduler != null) {
      scheduler.close();
    }
  }

  @Test
  void requestsInFlightStartAtFiveGrowWithEachGrantAndHalveOnARefusal() {
    Scheduler s = fakeTimeScheduler(cluster, time).build();
    scheduler = s;
    List<Task> tasks = wholeAllocTasks(100);
    s.submit(tasks);
    time.runUntilIdle();
    assertEquals(5, inFlight(), "requests in flight at first");

    // Each alloc granted lets one more request out: five granted, ten in flight.
    grantAll();
    assertEquals(10, inFlight(), "in flight after 5 granted");
    grantAll();
    assertEquals(20, inFlight(), "in flight after 15 granted");
    assertEquals(35, cluster.requests().size());

    // A refusal halves the window, to 10: the 19 still in flight are more than it allows, so
    // nothing new goes out, even once the backoff is over.
    cluster.requests().stream().filter(r -> !r.isAnswered()).findFirst().orElseThrow()
        .fail(new AllocationException(AllocationException.Kind.NOT_NOW, "no capacity now"));
    time.runUntilIdle();
    time.advance(Duration.ofMinutes(5));
    assertEquals(19, inFlight());
    assertEquals(35, cluster.requests().size());
    Task waiting = tasks.stream().filter(t -> t.status().state() == State.INIT
        && t.status().waiting() == WaitReason.PENDING_LIMIT).findFirst().orElseThrow();
    assertEquals(WaitReason.PENDING_LIMIT, waiting.status().waiting());
  }

  @Test
  void theWindowNeverPassesMaxPendingAllocs() {
    Scheduler s = fakeTimeScheduler(cluster, time).maxPendingAllocs(3).build();
    scheduler = s;
    s.submit(wholeAllocTasks(30));
    time.runUntilIdle();
    for (int round = 0; round < 4; round++) {
      assertEquals(3, inFlight(), "round " + round);
      grantAll();
    }
  }

  private static List<Task> wholeAllocTasks(int n) {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(task(64, 256));
    }
    return tasks;
  }

  /** Grants every request in flight an alloc of its size, then runs the scheduler until idle. */
  private void grantAll() {
    for (FakeCluster.Request r : new ArrayList<>(cluster.requests())) {
      if (!r.isAnswered()) {
        r.grant(cpuMem(64, 256));
      }
    }
    time.runUntilIdle();
  }

  private long inFlight() {
    return cluster.requests().stream().filter(r -> !r.isAnswered()).count();
  }
}
