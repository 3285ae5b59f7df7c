package org.stowage.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.Heap;
import org.stowage.testing.InstantCluster;
import org.stowage.testing.Workloads;

/**
 * Figures for the scheduling engine: packing quality against the lower bound, throughput of
 * short tasks, and the heap its stats hold after a million tasks.
 *
 * <p>Run from the repository root (about a minute):
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl bench exec:java -Dexec.mainClass=org.stowage.bench.SchedulerBench
 * </pre>
 */
public final class SchedulerBench {

  private static final Resources CAP =
      Resources.of(Resources.CPU, 16, Resources.MEM, 64 * Resources.GiB);

  private SchedulerBench() {}

  /** Runs every benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    packing();
    throughput();
    statsMemory();
  }

  /** Allocs used by bursts of 1,000 mixed tasks against max over dimensions of ceil(need / cap). */
  static void packing() throws Exception {
    System.out.println("packing: bursts of 1,000 tasks (0.5-8 cpu, 1-32 GiB, independent),"
        + " allocs capped at {cpu:16 mem:64GiB}");
    double worst = 0;
    for (long seed = 1; seed <= 10; seed++) {
      List<Resources> sizes = Workloads.mixedSizes(seed, 1000);
      List<Task> tasks = Workloads.tasks(sizes, "mix", "true");
      FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(CAP).automatic().build();
      long start = System.nanoTime();
      try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false).build()) {
        s.submit(tasks);
        awaitAll(tasks, State.RUNNING);
        double ms = (System.nanoTime() - start) / 1e6;
        int used = cluster.allocs().size();
        int bound = Workloads.lowerBound(sizes, CAP);
        worst = Math.max(worst, (double) used / bound);
        System.out.printf(Locale.ROOT, "  seed %2d: %d allocs, lower bound %d, ratio %.3f,"
            + " all placed in %.0f ms%n", seed, used, bound, (double) used / bound, ms);
      }
    }
    System.out.printf(Locale.ROOT, "  worst ratio %.3f%n", worst);
  }

  /** Short tasks through the whole engine: submit, place, start, finish. */
  static void throughput() throws Exception {
    InstantCluster cluster = new InstantCluster(CAP);
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false)
        .drainTimeout(Duration.ZERO).build()) {
      run(s, 200_000, 10_000);  // warm-up
      for (int batch : new int[] {1_000, 10_000, 100_000}) {
        int total = 500_000;
        long start = System.nanoTime();
        run(s, total, batch);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "throughput: %,d short tasks in batches of %,d:"
            + " %,.0f tasks/s%n", total, batch, total / seconds);
      }
    }
  }

  /** Heap held by a scheduler's stats after a million tasks, with a retention of 10,000. */
  static void statsMemory() throws Exception {
    InstantCluster cluster = new InstantCluster(CAP);
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false)
        .drainTimeout(Duration.ZERO).statsRetention(10_000, Duration.ofDays(1)).build()) {
      run(s, 1_000, 1_000);
      long before = Heap.usedAfterGc();
      run(s, 1_000_000, 10_000);
      long after = Heap.usedAfterGc();
      System.out.printf(Locale.ROOT, "stats memory: after 1,000,000 tasks, %,d retained,"
          + " heap held %.1f MiB%n", s.stats().tasks().size(), (after - before) / 1048576.0);
    }
  }

  private static void run(Scheduler s, int total, int batch) throws Exception {
    for (int done = 0; done < total; done += batch) {
      List<Task> tasks = new ArrayList<>(batch);
      for (int i = 0; i < batch; i++) {
        tasks.add(Task.newBuilder().resources(Resources.of(Resources.CPU, 1)).command("true")
            .build());
      }
      s.submit(tasks);
      awaitAll(tasks, State.DONE);
    }
  }

  private static void awaitAll(List<Task> tasks, State state) throws Exception {
    CompletableFuture.allOf(tasks.stream().map(t -> t.await(state))
        .toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
  }

}
