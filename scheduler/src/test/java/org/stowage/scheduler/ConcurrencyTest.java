package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.cpuMem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.Workloads;

/** Many threads submitting at once. */
@Timeout(180)
class ConcurrencyTest {

  @Test
  void eightThreadsSubmittingTenThousandTasksEachReachDoneExactlyOnce() throws Exception {
    int threads = 8;
    int perThread = 1250;
    FakeCluster cluster = FakeCluster.newBuilder()
        .maxAlloc(cpuMem(16, 64))
        .automatic()
        .execDuration(Duration.ZERO)
        .build();
    Map<String, AtomicInteger> doneCount = new ConcurrentHashMap<>();
    List<Task> all = new ArrayList<>();
    List<List<Task>> perThreadTasks = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      List<Task> tasks = Workloads.tasks(Workloads.mixedSizes(100 + i, perThread), "c" + i, "true");
      for (Task t : tasks) {
        doneCount.put(t.key(), new AtomicInteger());
        t.subscribe(s -> {
          if (s.state() == State.DONE) {
            doneCount.get(t.key()).incrementAndGet();
          }
        });
      }
      perThreadTasks.add(tasks);
      all.addAll(tasks);
    }

    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> submitters = new ArrayList<>();
      for (List<Task> tasks : perThreadTasks) {
        submitters.add(pool.submit(() -> {
          start.await();
          for (int from = 0; from < tasks.size(); from += 50) {
            scheduler.submit(tasks.subList(from, Math.min(tasks.size(), from + 50)));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : submitters) {
        f.get(60, TimeUnit.SECONDS);
      }
      CompletableFuture.allOf(all.stream().map(t -> t.await(State.DONE))
          .toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

      for (Task t : all) {
        assertTrue(t.status().succeeded(), t::toString);
      }
      assertEquals(threads * perThread, scheduler.counts().submitted());
      assertEquals(threads * perThread, scheduler.counts().succeeded());
      assertEquals(0, scheduler.counts().waiting());
    } finally {
      pool.shutdownNow();
    }
    // Delivered in order on the callback thread, and all delivered by the time close() returns.
    for (Task t : all) {
      assertEquals(1, doneCount.get(t.key()).get(), () -> t + " reached DONE a wrong number of times");
    }
    cluster.checkNoLeaks();
  }
}
