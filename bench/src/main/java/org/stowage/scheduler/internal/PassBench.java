package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Task;

/**
 * The pass alone, as the engine runs it after a batch of events, with no engine, threads or
 * clock: {@link Placement#plan} over the waiting tasks and the live allocs, then
 * {@link RequestPlanner#plan} for what is left. It lives in the engine's package to reach them.
 *
 * <p>Workload: Q tasks of distinct shapes waiting (cpu U[0.5,4], mem U[0.5,16] GiB, seeded), A live
 * allocs of {cpu:16 mem:64GiB} each filled to a random level, and the window of requests full.
 * Each event is what a running engine sees most: a task on a random alloc ends (its room comes
 * back) and a new task is submitted. The bench times one pass per event and prints the median,
 * the 99th percentile and the worst, for each Q and A given.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl bench exec:java -Dexec.mainClass=org.stowage.scheduler.internal.PassBench [-Dexec.args="10000 1000"]
 * </pre>
 */
public final class PassBench {

  private static final double[] CAP = {16, 64};

  private PassBench() {}

  /**
   * Runs the bench.
   *
   * @param args pairs of queued tasks and live allocs; default 10,000 and 1,000
   */
  public static void main(String[] args) {
    int[] sizes = args.length >= 2 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
        : new int[] {1_000, 100, 10_000, 1_000, 100_000, 10_000};
    System.out.printf(Locale.ROOT, "one pass after each event (a task ends, a task is submitted);"
        + " JDK %s, %d cpus%n", Runtime.version(), Runtime.getRuntime().availableProcessors());
    System.out.println("queued    allocs   passes  median ms  p99 ms   worst ms  placed/pass");
    for (int i = 0; i + 1 < sizes.length; i += 2) {
      run(sizes[i], sizes[i + 1]);
    }
  }

  private static void run(int queued, int allocs) {
    SplittableRandom random = new SplittableRandom(42);
    Packer packer = new Packer();
    packer.widenScale(CAP);
    Placement placement = new Placement(packer);
    RequestPlanner planner = new RequestPlanner(packer, new double[] {1, 1});
    WaitingIndex waiting = new WaitingIndex(packer);
    for (int i = 0; i < queued; i++) {
      waiting.add(task(random));
    }
    List<Room> live = new ArrayList<>();
    for (int i = 0; i < allocs; i++) {
      Room r = new Room(i);
      // Filled to a random level with tasks of the same distribution.
      double target = random.nextDouble(0.5, 1.0);
      while (true) {
        double[] need = need(random);
        if (r.free[0] - need[0] < CAP[0] * (1 - target) || r.free[1] - need[1] < 0) {
          break;
        }
        r.hold(need);
      }
      live.add(r);
    }
    WaitingIndex planned = new WaitingIndex(packer);
    int passes = Math.max(200, Math.min(5_000, 2_000_000 / Math.max(1, queued / 10)));
    long[] nanos = new long[passes];
    long placed = 0;
    for (int p = -passes / 5; p < passes; p++) {  // the first fifth warms up
      Room r = live.get(random.nextInt(live.size()));
      r.release();
      waiting.add(task(random));
      long start = System.nanoTime();
      Placement.Plan<Room> plan = placement.plan(waiting, planned, List.of(), live);
      RequestPlanner.Plan requests = planner.plan(waiting, List.of(), 0, false, v -> true);
      long took = System.nanoTime() - start;
      for (Placement.Placed<Room> x : plan.placed()) {
        x.alloc().hold(x.task().need);
      }
      for (List<TaskRecord> credited : requests.credited()) {
        credited.forEach(waiting::add);
      }
      if (p >= 0) {
        nanos[p] = took;
        placed += plan.placed().size();
      }
    }
    Arrays.sort(nanos);
    System.out.printf(Locale.ROOT, "%-9d %-8d %-7d %-10.3f %-8.3f %-9.3f %.2f%n", queued, allocs,
        passes, nanos[passes / 2] / 1e6, nanos[(int) (passes * 0.99)] / 1e6,
        nanos[passes - 1] / 1e6, (double) placed / passes);
  }

  private static double[] need(SplittableRandom random) {
    return new double[] {Math.round(random.nextDouble(0.5, 4) * 1000) / 1000.0,
        Math.round(random.nextDouble(0.5, 16) * 1024) / 1024.0};
  }

  private static TaskRecord task(SplittableRandom random) {
    double[] need = need(random);
    TaskRecord t = new TaskRecord(Task.newBuilder().command("true")
        .resources(Resources.of(Resources.CPU, need[0], Resources.MEM, need[1] * Resources.GiB))
        .build(), (cancel, callbacks) -> null, () -> { }, (status, via) -> { });
    t.need = need;
    return t;
  }

  /** A live alloc: its room, and the needs of what runs there. */
  private static final class Room implements Placement.Room {
    final long seq;
    final double[] free = CAP.clone();
    final List<double[]> running = new ArrayList<>();

    Room(long seq) {
      this.seq = seq;
    }

    void hold(double[] need) {
      Packer.subtract(free, need);
      running.add(need);
    }

    void release() {
      if (!running.isEmpty()) {
        double[] need = running.remove(running.size() - 1);
        for (int i = 0; i < free.length; i++) {
          free[i] = Math.min(CAP[i], free[i] + need[i]);
        }
      }
    }

    @Override
    public double[] free() {
      return free;
    }

    @Override
    public double[] capacity() {
      return CAP;
    }

    @Override
    public long seq() {
      return seq;
    }
  }
}
