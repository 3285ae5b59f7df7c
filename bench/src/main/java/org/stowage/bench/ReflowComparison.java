package org.stowage.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.Workloads;

/**
 * Allocs used for the same bursts by Stowage and by a simulation of Reflow's scheduler
 * ({@code sched/scheduler.go} at 90deddd, as analysed in the project's reference notes).
 *
 * <p>The simulation follows Reflow's loop with no drain wait (the whole burst arrives in one
 * submission, so draining would change nothing): tasks ordered by priority then smallest
 * {@code ScaledDistance} (cpu + mem / 8 GiB); each placed on the alloc with the least free
 * {@code ScaledDistance} that fits, an alloc that does not fit the head task being set aside for
 * the rest of the pass; then, at most one new request per event while fewer than five are pending:
 * the waiting tasks are mock-placed on the pending requests, each credited with only its
 * {@code Min}, and what remains is sized by {@code requirements()} (next-fit decreasing into bins of
 * the per-resource maximum, with its binary search for the largest task that fits). Each alloc
 * arrives as one event, granted at the requested maximum capped at the same largest alloc as
 * Stowage gets.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl bench exec:java -Dexec.mainClass=org.stowage.bench.ReflowComparison
 * </pre>
 */
public final class ReflowComparison {

  private static final double GIB = Resources.GiB;
  private static final double CAP_CPU = 16;
  private static final double CAP_MEM = 64 * GIB;
  private static final int MAX_PENDING = 5;

  private ReflowComparison() {}

  /** Prints allocs used by both for ten seeded bursts. */
  public static void main(String[] args) throws Exception {
    Resources cap = Resources.of(Resources.CPU, CAP_CPU, Resources.MEM, CAP_MEM);
    System.out.println("allocs used for bursts of 1,000 mixed tasks, allocs capped at " + cap);
    System.out.println("seed  lower bound  stowage  reflow (simulated)");
    int ours = 0;
    int theirs = 0;
    int bounds = 0;
    for (long seed = 1; seed <= 10; seed++) {
      List<Resources> sizes = Workloads.mixedSizes(seed, 1000);
      int bound = Workloads.lowerBound(sizes, cap);
      int stowage = stowage(sizes, cap);
      int reflow = reflow(sizes);
      ours += stowage;
      theirs += reflow;
      bounds += bound;
      System.out.printf(Locale.ROOT, "%4d  %11d  %7d  %6d%n", seed, bound, stowage, reflow);
    }
    System.out.printf(Locale.ROOT, "total %10d  %7d  %6d   (stowage %.3f x bound, reflow %.3f x)%n",
        bounds, ours, theirs, (double) ours / bounds, (double) theirs / bounds);
  }

  static int stowage(List<Resources> sizes, Resources cap) throws Exception {
    List<Task> tasks = Workloads.tasks(sizes, "cmp", "true");
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cap).automatic().build();
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false).build()) {
      s.submit(tasks);
      CompletableFuture.allOf(tasks.stream().map(t -> t.await(State.RUNNING))
          .toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
      return cluster.allocs().size();
    }
  }

  /** A task or an alloc's free room: cpu and mem only, as Reflow's ordering sees them. */
  private static final class Vec {
    double cpu;
    double mem;

    Vec(double cpu, double mem) {
      this.cpu = cpu;
      this.mem = mem;
    }

    double scaled() {
      return mem / (8 * GIB) + cpu;
    }

    boolean fits(Vec need) {
      return need.cpu <= cpu + 1e-9 && need.mem <= mem + 1e-9;
    }
  }

  static int reflow(List<Resources> sizes) {
    List<Vec> todo = new ArrayList<>();
    for (Resources r : sizes) {
      todo.add(new Vec(r.get(Resources.CPU), r.get(Resources.MEM)));
    }
    Comparator<Vec> bySize = Comparator.comparingDouble(Vec::scaled);
    List<Vec> live = new ArrayList<>();
    Deque<double[]> pending = new ArrayDeque<>();   // {minCpu, minMem, width}
    int granted = 0;
    boolean event = true;
    while (event) {
      // assign(): smallest task first onto the fullest alloc; an alloc that does not fit the
      // head task is set aside until the end of the pass (Reflow pops it into a side list).
      todo.sort(bySize);
      List<Vec> candidates = new ArrayList<>(live);
      List<Vec> waiting = new ArrayList<>();
      int t = 0;
      while (t < todo.size() && !candidates.isEmpty()) {
        candidates.sort(bySize);
        Vec task = todo.get(t);
        Vec alloc = candidates.get(0);
        if (!alloc.fits(task)) {
          candidates.remove(0);
          continue;
        }
        alloc.cpu -= task.cpu;
        alloc.mem -= task.mem;
        t++;
      }
      waiting.addAll(todo.subList(t, todo.size()));
      todo = waiting;
      // At most one new request per event, while fewer than MAX_PENDING are out.
      if (!todo.isEmpty() && pending.size() < MAX_PENDING) {
        List<Vec> credit = new ArrayList<>();
        for (double[] p : pending) {
          credit.add(new Vec(p[0], p[1]));   // credited with Min only
        }
        List<Vec> uncovered = new ArrayList<>();
        for (Vec task : todo) {
          Vec fit = null;
          credit.sort(bySize);
          for (Vec c : credit) {
            if (c.fits(task)) {
              fit = c;
              break;
            }
          }
          if (fit != null) {
            fit.cpu -= task.cpu;
            fit.mem -= task.mem;
          } else {
            uncovered.add(task);
          }
        }
        if (!uncovered.isEmpty()) {
          pending.add(requirements(uncovered));
        }
      }
      // The next event: the oldest pending request is granted.
      event = !pending.isEmpty();
      if (event) {
        double[] p = pending.poll();
        double width = p[2];
        live.add(new Vec(Math.min(CAP_CPU, p[0] * (1 + width)), Math.min(CAP_MEM, p[1] * (1 + width))));
        granted++;
      }
    }
    return granted;
  }

  /** Reflow's requirements(): returns {minCpu, minMem, width}. */
  private static double[] requirements(List<Vec> tasks) {
    List<Vec> sorted = new ArrayList<>(tasks);
    sorted.sort(Comparator.comparingDouble(Vec::scaled).reversed());
    double minCpu = 0;
    double minMem = 0;
    int width = 0;
    boolean empty = true;
    Vec have = new Vec(0, 0);
    while (!sorted.isEmpty()) {
      // sort.Search: the first index whose task fits what is left in the open bin.
      int lo = 0;
      int hi = sorted.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (have.fits(sorted.get(mid))) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      int i = lo;
      if (i == sorted.size()) {
        Vec biggest = sorted.get(0);
        if (empty) {
          minCpu = biggest.cpu;
          minMem = biggest.mem;
          empty = false;
        } else {
          minCpu = Math.max(minCpu, biggest.cpu);
          minMem = Math.max(minMem, biggest.mem);
          width++;
        }
        i = 0;
        have = new Vec(minCpu, minMem);   // a fresh bin; the old bin's leftover is dropped
      }
      Vec task = sorted.remove(i);
      have.cpu -= task.cpu;
      have.mem -= task.mem;
    }
    return new double[] {minCpu, minMem, width};
  }
}
