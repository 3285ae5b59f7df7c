package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeTimeSource;

/**
 * Extreme but legal values: durations of centuries, a backoff doubled past what a long holds.
 * Each either means "never" or is capped, and the scheduler keeps serving every task.
 */
@Timeout(60)
class ExtremeValuesTest {

  private static final Duration CENTURIES = ChronoUnit.YEARS.getDuration().multipliedBy(300);

  @Test
  void aTimeoutOfForeverRunsEveryTaskOnceAndClosesCleanly() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic()
        .execDuration(Duration.ZERO).build();
    Map<String, AtomicInteger> dones = new ConcurrentHashMap<>();
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Task.Builder b = Task.newBuilder().name("t" + i).command("true")
          .resources(cpuMem(1 + i % 4, 1 + i % 8));
      if (i % 3 == 0) {
        b.timeout(ChronoUnit.FOREVER.getDuration());
      } else if (i % 3 == 1) {
        b.timeout(CENTURIES);
      }
      Task t = b.build();
      dones.put(t.name(), new AtomicInteger());
      t.subscribe(s -> {
        if (s.state() == State.DONE) {
          dones.get(t.name()).incrementAndGet();
        }
      });
      tasks.add(t);
    }
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).build()) {
      scheduler.submit(tasks);
      for (Task t : tasks) {
        assertTrue(done(t).succeeded(), t::toString);
      }
      assertEquals(tasks.size(), scheduler.counts().succeeded());
      assertEquals(tasks.size(), cluster.allocs().stream().mapToInt(a -> a.execs().size()).sum(),
          "every task ran exactly once");
    }
    dones.forEach((name, n) -> assertEquals(1, n.get(), name + " reached DONE once"));
    cluster.checkNoLeaks();
  }

  /** Each option set to 300 years: the scheduler still runs tasks, keeps allocs alive, closes. */
  @ParameterizedTest
  @ValueSource(strings = {"maxDrainWait", "starvationThreshold",
      "maxAllocIdleTime", "keepaliveTimeout", "killTimeout", "closeTimeout", "allocBackoff",
      "statsRetention"})
  void aDurationOfCenturiesMeansNeverAndTheSchedulerKeepsWorking(String option)
      throws Exception {
    Map<String, UnaryOperator<Scheduler.Builder>> options = Map.of(
        "maxDrainWait", b -> b.maxDrainWait(CENTURIES),
        "starvationThreshold", b -> b.starvationThreshold(CENTURIES),
        "maxAllocIdleTime", b -> b.maxAllocIdleTime(CENTURIES),
        "keepaliveTimeout", b -> b.keepaliveTimeout(CENTURIES),
        "killTimeout", b -> b.killTimeout(CENTURIES),
        "closeTimeout", b -> b.closeTimeout(CENTURIES),
        "allocBackoff", b -> b.allocBackoff(CENTURIES, CENTURIES),
        "statsRetention", b -> b.statsRetention(100, CENTURIES));
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic()
        .execDuration(Duration.ZERO).keepaliveInterval(Duration.ofMillis(5)).build();
    Scheduler scheduler = options.get(option).apply(Scheduler.newBuilder().cluster(cluster))
        .build();
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      tasks.add(Task.newBuilder().command("true").resources(cpuMem(1 + i % 3, 2)).build());
    }
    scheduler.submit(tasks);
    for (Task t : tasks) {
      assertTrue(done(t).succeeded(), () -> option + ": " + t.status());
    }
    assertEquals(tasks.size(), scheduler.counts().succeeded(), option);
    // Allocs are still kept alive: keepalives go on after the tasks are done.
    FakeAlloc alloc = cluster.allocs().get(0);
    int before = alloc.keepalives();
    await().atMost(WAIT).until(() -> alloc.isFreed() || alloc.keepalives() > before + 2);
    scheduler.close();
    cluster.checkNoLeaks();
  }

  /**
   * A drain timeout of centuries alone is refused: the default max drain wait (500 ms) would cut
   * it short. With a max drain wait as long it means "never": the burst is gathered until close,
   * no allocation is asked for, and closing ends its tasks.
   */
  @Test
  void aDrainTimeoutOfCenturiesNeedsAMaxDrainWaitAsLongAndThenNothingRuns() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> Scheduler.newBuilder().cluster(cluster).drainTimeout(CENTURIES).build());
    assertTrue(refused.getMessage().startsWith("drain timeout must be <= max drain wait"
        + " (PT0.5S by default) but was " + CENTURIES + ": raise maxDrainWait too"),
        refused.getMessage());

    Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time)
        .drainTimeout(CENTURIES).maxDrainWait(CENTURIES).jmx(false).build();
    List<Task> tasks = List.of(Fixtures.task(1, 1), Fixtures.task(2, 2));
    scheduler.submit(tasks);
    for (Task t : tasks) {
      await().atMost(WAIT).until(() -> t.status().waiting() == WaitReason.DRAINING);
    }
    time.advance(Duration.ofDays(365 * 50));
    Task late = Fixtures.task(1, 1);
    scheduler.submit(late);
    await().atMost(WAIT).until(() -> late.status().waiting() == WaitReason.DRAINING);
    for (Task t : tasks) {
      assertEquals(WaitReason.DRAINING, t.status().waiting(), t::toString);
    }
    assertEquals(List.of(), cluster.requests(), "an allocation was asked for");
    scheduler.close();
    for (Task t : List.of(tasks.get(0), tasks.get(1), late)) {
      assertEquals(TaskException.Kind.CLOSED, done(t).error().kind(), t::toString);
    }
    cluster.checkNoLeaks();
  }

  @Test
  void aBackoffOfCenturiesAfterOneRefusalAsksNoMore() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    try (Scheduler scheduler = Fixtures.fakeTimeScheduler(cluster, time)
        .allocBackoff(CENTURIES, CENTURIES).build()) {
      Task first = Fixtures.task(1, 1);
      scheduler.submit(first);
      cluster.takeRequest(WAIT).fail(new AllocationException(AllocationException.Kind.NOT_NOW,
          "no capacity"));
      await().atMost(WAIT).until(() -> first.status().waiting() == WaitReason.BACKING_OFF);
      time.advance(Duration.ofDays(365));
      Task second = Fixtures.task(1, 1);
      scheduler.submit(second);
      await().atMost(WAIT).until(() -> second.status().waiting() != WaitReason.DRAINING
          && second.status().waiting() != null);
      assertEquals(WaitReason.BACKING_OFF, second.status().waiting());
      assertNull(cluster.pollRequest(), "a request went out within a year of the refusal");
    }
  }

  /**
   * An initial backoff of 10 s doubled 31 times overflowed a long and the scheduler then retried
   * at once; it is capped at the max backoff instead.
   */
  @Test
  void theBackoffStaysCappedAfterManyRefusalsInARow() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = Fixtures.fakeTimeCluster(time).build();
    Duration max = Duration.ofHours(1);
    try (Scheduler scheduler = Fixtures.fakeTimeScheduler(cluster, time)
        .allocBackoff(Duration.ofSeconds(10), max).build()) {
      Task t = Fixtures.task(1, 1);
      scheduler.submit(t);
      for (int refusal = 1; refusal <= 36; refusal++) {
        cluster.takeRequest(WAIT).fail(new AllocationException(AllocationException.Kind.NOT_NOW,
            "no capacity"));
        // Either the scheduler backs off, or (wrongly) asks again at once.
        await().atMost(WAIT).until(() -> t.status().waiting() == WaitReason.BACKING_OFF
            || !cluster.requests().isEmpty() && hasUnanswered(cluster));
        assertEquals(WaitReason.BACKING_OFF, t.status().waiting(),
            "after refusal " + refusal + " in a row");
        time.advance(max);
      }
      FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
      alloc.takeExec(WAIT).succeed();
      assertTrue(done(t).succeeded());
    }
    cluster.checkNoLeaks();
  }

  private static boolean hasUnanswered(FakeCluster cluster) {
    return cluster.requests().stream().anyMatch(r -> !r.isAnswered());
  }

  /**
   * close() racing a large submit(): either the submit is refused and claims no task, or every
   * task of it ends DONE. Before, the tasks of a submit that returned normally could stay INIT.
   */
  @Test
  @Timeout(180)
  void closeRacingALargeSubmitStrandsNoTask() throws Exception {
    int refused = 0;
    for (int round = 0; round < 8; round++) {
      FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic()
          .execDuration(Duration.ZERO).build();
      Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).jmx(false).build();
      List<Task> tasks = new ArrayList<>(100_000);
      for (int i = 0; i < 100_000; i++) {
        tasks.add(Task.newBuilder().command("true").resources(cpuMem(1, 1)).build());
      }
      CompletableFuture<Void> submit = CompletableFuture.runAsync(() -> scheduler.submit(tasks));
      // Close once the submit is under way (its first task claimed or the call over): spin, as a
      // poll interval would let the submit finish first.
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!submit.isDone() && !isClaimed(tasks.get(0)) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      scheduler.shutdown().get(60, TimeUnit.SECONDS);
      try {
        submit.join();
      } catch (java.util.concurrent.CompletionException e) {
        assertTrue(e.getCause() instanceof IllegalStateException, e::toString);
        refused++;
        // Refused whole: no task was claimed, so each can still go to another scheduler.
        assertTrue(!isClaimed(tasks.get(tasks.size() - 1)));
        continue;
      }
      for (Task t : tasks) {
        assertEquals(State.DONE, t.status().state(), () -> t + " was stranded");
      }
      cluster.checkNoLeaks();
    }
    System.out.println("close racing submit: " + refused + " of 8 submits refused whole");
  }

  /** Whether another scheduler's submit of {@code t} would be refused as already submitted. */
  private static boolean isClaimed(Task t) {
    return t.progress().isClaimed();
  }
}
