package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.cpuMem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.Heap;
import org.stowage.testing.InstantCluster;

/** Stats keep finished tasks within their retention, however many tasks have run. */
@Timeout(600)
class StatsMemoryTest {

  private static final int TASKS = Integer.getInteger("stowage.statsMemoryTasks", 1_000_000);
  private static final int RETAIN = 10_000;
  /** The ceiling on heap the stats may hold; measured at about a third of it (see bench/README). */
  private static final long LIMIT_BYTES = 24L << 20;

  @Test
  void aMillionShortTasksLeaveNoMoreThanTheRetentionBehind() throws Exception {
    InstantCluster cluster = new InstantCluster(cpuMem(64, 256));
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false)
        .drainTimeout(Duration.ZERO).statsRetention(RETAIN, Duration.ofDays(1)).build()) {
      runBatch(s, 1_000);
      long before = Heap.usedAfterGc();
      long start = System.nanoTime();
      for (int done = 0; done < TASKS; done += 10_000) {
        runBatch(s, 10_000);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long after = Heap.usedAfterGc();
      SchedulerStats stats = s.stats();
      long held = after - before;
      System.out.printf("stats memory: %,d tasks in %.1f s (%,.0f tasks/s); %,d retained;"
          + " heap held %.1f MiB%n", TASKS, seconds, TASKS / seconds, stats.tasks().size(),
          held / (double) (1 << 20));

      assertEquals(TASKS + 1_000, stats.counts().submitted());
      assertEquals(TASKS + 1_000, stats.counts().succeeded());
      assertTrue(stats.tasks().size() <= RETAIN, "retained " + stats.tasks().size());
      assertTrue(s.retained() <= RETAIN + cluster.granted(), "retained " + s.retained());
      assertTrue(held < LIMIT_BYTES, "stats hold " + held + " bytes");
    }
  }

  private static void runBatch(Scheduler s, int n) throws Exception {
    List<Task> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      batch.add(Task.newBuilder().resources(cpuMem(1, 1)).command("true").build());
    }
    s.submit(batch);
    CompletableFuture.allOf(batch.stream().map(t -> t.await(State.DONE))
        .toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
  }

}
