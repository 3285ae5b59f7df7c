package org.stowage.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.Task;
import org.stowage.testing.Heap;
import org.stowage.testing.InMemoryRepository;
import org.stowage.testing.Workloads;

/**
 * Placement at scale, through the public API: N tasks, each with its own cpu and memory drawn from
 * a continuous distribution, submitted in one burst to a scheduler with its default settings,
 * on a cluster that grants an alloc of {cpu:16 mem:64GiB} the moment it is asked and whose execs
 * run until killed. A task is placed once it is RUNNING. For each workload and N it prints the
 * time until all are placed (or how many were placed within the time cap), tasks per second,
 * allocs used against the lower bound and against a plain first-fit-decreasing, and the heap per
 * queued and per running task after a forced GC.
 *
 * <p>Workloads: {@code uniform} (cpu U[0.5,4], mem U[0.5,16] GiB), {@code bimodal} (90 % as
 * uniform, 10 % half a machine: cpu U[6,8], mem U[24,32] GiB) and {@code few} (three shapes).
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl bench exec:java -Dexec.mainClass=org.stowage.bench.PlacementBench [-Dexec.args="uniform 1000 10000"]
 * </pre>
 */
public final class PlacementBench {

  static final Resources CAP = Resources.of(Resources.CPU, 16, Resources.MEM, 64 * Resources.GiB);
  private static final double GiB = Resources.GiB;
  private static final Duration CAP_TIME = Duration.ofSeconds(
      Long.getLong("bench.capSeconds", 120));

  private PlacementBench() {}

  /**
   * Runs the workloads named in {@code args} (default all) for the sizes given (default 1k, 10k,
   * 100k, 1M).
   *
   * @param args workload names and sizes, in any order
   * @throws Exception if a run fails
   */
  public static void main(String[] args) throws Exception {
    List<String> workloads = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (String a : args) {
      if (a.chars().allMatch(Character::isDigit)) {
        sizes.add(Integer.parseInt(a));
      } else {
        workloads.add(a);
      }
    }
    if (workloads.isEmpty()) {
      workloads = List.of("uniform", "bimodal", "few");
    }
    if (sizes.isEmpty()) {
      sizes = List.of(1_000, 10_000, 100_000, 1_000_000);
    }
    System.out.printf(Locale.ROOT, "placement: one burst, default settings, allocs of %s granted"
        + " at once, execs run until killed; cap %d s per row; JDK %s, %d cpus%n", CAP,
        CAP_TIME.toSeconds(), Runtime.version(), Runtime.getRuntime().availableProcessors());
    System.out.println("workload  N          placed     seconds   tasks/s    allocs  bound"
        + "   ratio   FFD    B/queued  B/running");
    for (String w : workloads) {
      for (int n : sizes) {
        row(w, n);
      }
    }
  }

  static void row(String workload, int n) throws Exception {
    List<Resources> shapes = shapes(workload, n, 42);
    long queuedBytes = queuedBytes(shapes, workload, n);
    HoldingCluster cluster = new HoldingCluster();
    List<Task> tasks = Workloads.tasks(shapes, workload, "true");
    long withTasks = Heap.usedAfterGc();
    long placed;
    double seconds;
    long runningBytes;
    try (Scheduler s = Scheduler.newBuilder().cluster(cluster).jmx(false)
        .closeTimeout(Duration.ofMinutes(10)).build()) {
      long start = System.nanoTime();
      s.submit(tasks);
      long deadline = start + CAP_TIME.toNanos();
      while (s.counts().running() < n && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      seconds = (System.nanoTime() - start) / 1e9;
      placed = s.counts().running();
      runningBytes = Heap.usedAfterGc() - withTasks;
    }
    int bound = Workloads.lowerBound(shapes, CAP);
    int ffd = firstFitDecreasing(shapes);
    System.out.printf(Locale.ROOT, "%-9s %-10d %-10d %-9.2f %-10.0f %-7d %-7d %-7.3f %-7d"
        + "%-9.0f %.0f%s%n", workload, n, placed, seconds, placed / seconds,
        cluster.granted.get(), bound, (double) cluster.granted.get() / bound, ffd,
        (double) queuedBytes / n, (double) runningBytes / n,
        placed < n ? "  (capped)" : "");
  }

  /**
   * Returns the heap the scheduler holds for {@code n} queued tasks: a cluster that never answers
   * holds them all in the queue. In a method of its own, so that nothing of it is live after.
   */
  static long queuedBytes(List<Resources> shapes, String workload, int n) throws Exception {
    List<Task> tasks = Workloads.tasks(shapes, workload, "true");
    long withTasks = Heap.usedAfterGc();
    try (Scheduler s = Scheduler.newBuilder().cluster(new SilentCluster()).jmx(false)
        .closeTimeout(Duration.ofMinutes(10)).build()) {
      s.submit(tasks);
      long deadline = System.nanoTime() + CAP_TIME.toNanos();
      while (s.counts().waiting() < n && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      return Heap.usedAfterGc() - withTasks;
    }
  }

  /** The task shapes of a workload, seeded. */
  static List<Resources> shapes(String workload, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Resources> out = new ArrayList<>(n);
    Resources[] few = {cpuMem(1, 2), cpuMem(2, 8), cpuMem(4, 4)};
    for (int i = 0; i < n; i++) {
      switch (workload) {
        case "uniform" -> out.add(cpuMem(r.nextDouble(0.5, 4), r.nextDouble(0.5, 16)));
        case "bimodal" -> out.add(r.nextDouble() < 0.9
            ? cpuMem(r.nextDouble(0.5, 4), r.nextDouble(0.5, 16))
            : cpuMem(r.nextDouble(6, 8), r.nextDouble(24, 32)));
        case "few" -> out.add(few[r.nextInt(few.length)]);
        default -> throw new IllegalArgumentException("workload must be uniform, bimodal or few"
            + " but was " + workload);
      }
    }
    return out;
  }

  static Resources cpuMem(double cpu, double memGiB) {
    return Resources.of(Resources.CPU, Math.round(cpu * 1000) / 1000.0, Resources.MEM,
        Math.round(memGiB * 1024) * GiB / 1024);
  }

  /**
   * Plain first-fit decreasing on the larger normalised dimension: the count of bins. Each task
   * goes to the first bin, in the order bins were opened, where both dimensions fit; a tree over
   * the bins keeps the most room left in each dimension below each node, so that the search skips
   * the runs of bins that cannot hold it (the bins it finds are those a scan would).
   */
  static int firstFitDecreasing(List<Resources> shapes) {
    double cpuCap = CAP.get(Resources.CPU);
    double memCap = CAP.get(Resources.MEM);
    double[][] items = new double[shapes.size()][];
    for (int i = 0; i < items.length; i++) {
      items[i] = new double[] {shapes.get(i).get(Resources.CPU) / cpuCap,
          shapes.get(i).get(Resources.MEM) / memCap};
    }
    Arrays.sort(items, Comparator.comparingDouble((double[] v) -> Math.max(v[0], v[1]))
        .reversed());
    int size = 1;
    while (size < items.length) {
      size <<= 1;
    }
    // Leaves are bins (opened in order, all room left at first); inner nodes keep the maxima.
    double[][] most = new double[2][2 * size];
    Arrays.fill(most[0], 1);
    Arrays.fill(most[1], 1);
    int bins = 0;
    for (double[] v : items) {
      int leaf = firstFit(most, 1, 0, size, v);
      if (leaf + 1 > bins) {
        bins = leaf + 1;
      }
      int node = leaf + size;
      most[0][node] -= v[0];
      most[1][node] -= v[1];
      for (node >>= 1; node >= 1; node >>= 1) {
        most[0][node] = Math.max(most[0][2 * node], most[0][2 * node + 1]);
        most[1][node] = Math.max(most[1][2 * node], most[1][2 * node + 1]);
      }
    }
    return bins;
  }

  /** Returns the first bin in [from, to) under {@code node} where {@code v} fits, or -1. */
  private static int firstFit(double[][] most, int node, int from, int to, double[] v) {
    if (most[0][node] + 1e-9 < v[0] || most[1][node] + 1e-9 < v[1]) {
      return -1;
    }
    if (to - from == 1) {
      return from;
    }
    int mid = (from + to) >>> 1;
    int left = firstFit(most, 2 * node, from, mid, v);
    return left >= 0 ? left : firstFit(most, 2 * node + 1, mid, to, v);
  }

  /** Grants at once; execs run until killed. */
  static final class HoldingCluster implements Cluster {
    final AtomicInteger granted = new AtomicInteger();

    @Override
    public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
      String id = "hold-" + granted.incrementAndGet();
      Repository repo = new InMemoryRepository(id);
      return CompletableFuture.completedFuture(new Alloc() {
        @Override
        public String id() {
          return id;
        }

        @Override
        public Resources resources() {
          return CAP;
        }

        @Override
        public Repository repository() {
          return repo;
        }

        @Override
        public Exec start(ExecRequest request) {
          CompletableFuture<ExecResult> result = new CompletableFuture<>();
          return new Exec() {
            @Override
            public String id() {
              return request.id();
            }

            @Override
            public CompletableFuture<ExecResult> result() {
              return result;
            }

            @Override
            public void kill() {
              result.complete(new ExecResult(137, "", "", org.stowage.repository.Fileset.empty()));
            }
          };
        }

        @Override
        public CompletableFuture<Duration> keepalive() {
          return CompletableFuture.completedFuture(Duration.ofMinutes(10));
        }

        @Override
        public CompletableFuture<Void> free() {
          return CompletableFuture.completedFuture(null);
        }
      });
    }

    @Override
    public Admission canAllocate(Resources resources) {
      return resources.fitsIn(CAP) ? Admission.yes() : Admission.never("the shape is " + CAP);
    }
  }

  /** Never answers a request: every task stays queued. */
  static final class SilentCluster implements Cluster {
    @Override
    public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
      return new CompletableFuture<>();
    }

    @Override
    public Admission canAllocate(Resources resources) {
      return resources.fitsIn(CAP) ? Admission.yes() : Admission.never("the shape is " + CAP);
    }
  }
}
