package org.stowage.scheduler.local;

import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requirePositiveFinite;
import static org.stowage.scheduler.internal.Checks.requireUnset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.Admissions;
import org.stowage.scheduler.internal.DaemonThreads;
import org.stowage.scheduler.internal.process.Cgroup;
import org.stowage.scheduler.internal.process.Sandbox;
import org.stowage.scheduler.internal.process.SandboxAlloc;

/**
 * A {@link Cluster} made of this machine: each alloc is a slice of its cpu and memory, and each
 * exec an OS process in a sandbox directory.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.ofThisMachine();
 *      Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).repository(repo).build()) {
 *   scheduler.submit(tasks);
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Allocation.</b> The cluster hands out at most its {@linkplain #total() total}, the
 * machine's size unless the builder says otherwise. {@link #allocate} never waits: it grants
 * {@code min(requirements.max(), free)} in cpu and memory, at least {@code requirements.min()},
 * if that minimum is free now, and fails with {@link AllocationException.Kind#NOT_NOW} naming
 * what is free otherwise (the scheduler backs off and asks again). A slice returns to the free
 * pool when its alloc is freed. Disk is not accounted: an alloc is granted the disk it asks for,
 * and every sandbox lives on the file system of the {@linkplain #workDir() work directory}. Any
 * other resource (a gpu, say) is one this machine lacks. Allocations are bookkeeping, not limits:
 * a process may use more cpu or memory than its task asked for.
 *
 * <p><b>Layout.</b> Each alloc has a directory under the work directory holding its own
 * {@link FileRepository} ({@code repository/}), into which the scheduler stages inputs, and one
 * sandbox per exec ({@code execs/<n>-<exec id>/}). An exec's command runs with the sandbox as its
 * working directory, the JVM's environment plus the exec config's, and no standard input. The
 * sandbox holds:
 *
 * <ul>
 *   <li>each input at its path from {@code request.inputs()}, a read-only copy of the object in
 *       the alloc's repository that belongs to this exec alone, checked against its digest before
 *       the command starts ({@link FileRepository#copyTo}). The program may make an input
 *       writable and change it: that changes its own copy, never what another exec reads. An
 *       object whose bytes no longer match its digest (damaged on disk in the alloc's repository)
 *       is never laid out: the exec fails to start, naming the input (a failed attempt of its
 *       task), and the object is dropped from the alloc's repository, so that the next staging
 *       of it, for a retry or another task, copies it afresh;
 *   <li>{@code out/}, empty: after the command exits, every regular file under it is put into the
 *       alloc's repository and reported in {@link org.stowage.scheduler.ExecResult#outputs()} by
 *       its path relative to {@code out/} ({@code out/counts/a.txt} is {@code counts/a.txt});
 *       symbolic links and special files are skipped. An input may not lie inside {@code out/}.
 * </ul>
 *
 * <p>The exec's result carries the exit code (non-zero is a result like any other, which the
 * scheduler counts as a failed attempt) and the last 64 KiB of standard output and of standard
 * error. It completes on a thread of the cluster once every process of the exec has ended and
 * its sandbox is deleted.
 *
 * <p><b>Processes.</b> An exec's processes are killed (on timeout, cancel, free or close) with a
 * polite signal and, for what still runs after a second, a forced kill; when the command exits
 * by itself, whatever it left running is killed the same way before its outputs are collected.
 * A zombie counts as ended. To find every process of an exec, even one that outlived its parent
 * and was re-parented to init, the cluster uses, as far as the machine allows:
 *
 * <ul>
 *   <li><b>a cgroup</b> (Linux, cgroup v2): where the JVM may create cgroups inside its own (root
 *       on most machines and VMs; a user in a systemd unit or user service with
 *       {@code Delegate=yes}), each exec runs in a cgroup of its own, joined before its program
 *       starts, and each kill empties it ({@code cgroup.kill} on Linux 5.14 and later). No
 *       process the exec starts can leave it by itself: double forks, {@code setsid}, daemons and
 *       cleared environments stay in. Only a process allowed to write into another cgroup's
 *       {@code cgroup.procs} (root, or the owner of the delegated tree) can move out. The cgroups
 *       have no controllers and limit nothing;
 *   <li><b>a session</b>: each exec starts as the leader of a session of its own (through
 *       {@code setsid}, from util-linux or busybox), and on Linux every process of that session
 *       is the exec's. A process leaves it only by starting a session itself;
 *   <li><b>a marker</b>: every process carries {@code STOWAGE_EXEC=<token>} in its environment
 *       unless it drops it, and on Linux every process carrying the exec's token is the exec's;
 *   <li><b>parenthood</b>: the process and its descendants, wherever the rest is unavailable.
 * </ul>
 *
 * <p>So where cgroups are available nothing the exec starts survives it, short of a move by a
 * privileged process. Elsewhere on Linux a process survives only if it both starts a session of
 * its own and drops the marker (for example {@code setsid env -u STOWAGE_EXEC daemon}), or, on a
 * machine without a {@code setsid} program, if it drops the marker and outlives its parent. On
 * other systems, any process re-parented away from the exec survives. Processes started for the
 * exec by another service ({@code systemd-run}, {@code ssh localhost}, a container runtime) are
 * never its. As the exec leads its own session, a terminal's Ctrl-C reaches the JVM but not the
 * exec: the shutdown hook below kills it. If the cgroup cannot be joined when an exec starts, the
 * exec ends with exit code 125 and says why on its standard error.
 *
 * <p><b>Lost allocs.</b> {@link #kill(String)} simulates the death of an alloc's executor, so that
 * tests can exercise lost-task handling with real processes. A live alloc's keepalive completes
 * with an interval of one second.
 *
 * <p><b>Closing.</b> {@link #close()} kills every exec, frees every alloc, removes the cluster's
 * cgroup ({@code stowage-<uuid>} in the JVM's own) and deletes the work directory if the cluster
 * created it. A cluster not closed when the JVM exits is closed by a shutdown hook, so that its
 * processes do not outlive the JVM; a JVM killed outright ({@code SIGKILL}) runs no hook, and
 * leaves its execs and its cgroup behind.
 *
 * <p>Thread-safety: thread-safe. {@link #canAllocate} answers from memory; {@link #allocate}
 * answers under the cluster's lock, creating the alloc's directory there. The rest of the work
 * (starting processes, collecting outputs, deleting files) runs on the calling thread or the
 * cluster's own daemon threads.
 */
public final class LocalCluster implements Cluster, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(LocalCluster.class.getName());
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final Path workDir;
  private final boolean ownsWorkDir;
  private final String token = UUID.randomUUID().toString();
  private final @Nullable Cgroup cgroup;
  private final ExecutorService executor;
  private final ScheduledExecutorService timer;
  private final Thread shutdownHook;

  // Guarded by this.
  private final SlicePool pool;
  private final Map<String, LocalAlloc> allocs = new LinkedHashMap<>();
  private int allocSeq;
  private boolean closed;

  private LocalCluster(Resources total, Path workDir, boolean ownsWorkDir, boolean cgroups) {
    this.pool = new SlicePool(total);
    this.workDir = workDir;
    this.ownsWorkDir = ownsWorkDir;
    String name = "stowage-local-" + CLUSTERS.incrementAndGet();
    this.executor = Executors.newCachedThreadPool(DaemonThreads.named(name + "-"));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name + "-timer-"));
    this.cgroup = cgroups ? Cgroup.forThisJvm("stowage-" + token) : null;
    this.shutdownHook = new Thread(this::closeOnExit, name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Returns a cluster of this whole machine: as many cpus as the JVM may use
   * ({@link Runtime#availableProcessors()}) and the machine's physical memory (the JVM's maximum
   * heap if the platform does not say), with a new temporary work directory.
   *
   * @return the cluster
   * @throws UncheckedIOException if the work directory cannot be created
   */
  public static LocalCluster ofThisMachine() {
    return newBuilder().build();
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the defaults
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns the most this cluster hands out at once: {@code {cpu:N mem:BYTES}}.
   *
   * @return the total capacity
   */
  public Resources total() {
    return pool.total();
  }

  /**
   * Returns what no alloc holds now.
   *
   * @return the free capacity
   */
  public synchronized Resources free() {
    return pool.free();
  }

  /**
   * Returns the directory under which allocs keep their repositories and sandboxes.
   *
   * @return the work directory
   */
  public Path workDir() {
    return workDir;
  }

  /**
   * Grants a slice of the machine at once, or fails at once; never waits for capacity. See the
   * class comment for how the slice is sized. The labels are ignored.
   *
   * @return a future that is already complete: with the alloc, or exceptionally with an
   *     {@link AllocationException} of kind {@code NEVER} (the machine is too small or lacks a
   *     resource), {@code NOT_NOW} (the minimum is not free now, or the alloc's directory could
   *     not be created), or an {@link IllegalStateException} if the cluster is closed
   */
  @Override
  public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
    AllocationException never = Admissions.never(this, requirements, labels);
    if (never != null) {
      return CompletableFuture.failedFuture(never);
    }
    double disk = requirements.max().get(Resources.DISK);
    // Under the lock, so that close() sees every alloc granted, directory and all; creating two
    // directories takes well under a millisecond.
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("local cluster " + workDir + " is closed"));
      }
      @Nullable Resources slice = pool.sliceFor(requirements);
      if (slice == null) {
        return CompletableFuture.failedFuture(new AllocationException(
            AllocationException.Kind.NOT_NOW, SlicePool.accounted(requirements.min())
                + " is not free now: free " + pool.free() + " of " + pool.total() + ", held by "
                + allocs.size() + " alloc" + (allocs.size() == 1 ? "" : "s")));
      }
      String id = "local-" + ++allocSeq;
      LocalAlloc alloc;
      @Nullable Cgroup allocCgroup = null;
      try {
        Path dir = Files.createTempDirectory(workDir, id + "-");
        allocCgroup = cgroup == null ? null : cgroup.child(id);
        alloc = new LocalAlloc(id, disk > 0 ? slice.plus(Resources.of(Resources.DISK, disk)) : slice,
            dir, FileRepository.open(dir.resolve("repository")), token + "/" + id + "/",
            allocCgroup, this, executor, timer);
      } catch (IOException | RuntimeException e) {
        if (allocCgroup != null) {
          allocCgroup.remove();
        }
        return CompletableFuture.failedFuture(new AllocationException(
            AllocationException.Kind.NOT_NOW, "alloc " + id + ": cannot create its directory"
                + " under " + workDir + ": " + e, e));
      }
      pool.take(slice);
      allocs.put(id, alloc);
      return CompletableFuture.completedFuture(alloc);
    }
  }

  /**
   * Says whether an alloc of {@code resources} fits this machine's total: never if it needs more
   * cpu or memory than the total, or any resource other than cpu, memory and disk; the reason
   * names the machine's size, for example {@code this machine has {cpu:2 mem:23GiB}}.
   */
  @Override
  public Admission canAllocate(Resources resources) {
    return pool.admit(resources);
  }

  /**
   * Simulates the death of an alloc's executor, for tests: its processes are killed, the results
   * of its running execs complete with an {@link org.stowage.scheduler.AllocLostException}, its
   * keepalive fails from now on and it starts nothing more. Its slice stays taken until the
   * scheduler frees it, as it does every dead alloc.
   *
   * @param allocId the id of the alloc to kill
   * @throws IllegalArgumentException if no alloc of this cluster that is neither freed nor dead
   *     has that id
   */
  public void kill(String allocId) {
    Objects.requireNonNull(allocId, "allocId");
    LocalAlloc alloc;
    synchronized (this) {
      alloc = allocs.get(allocId);
    }
    if (alloc == null || !alloc.die("killed by LocalCluster.kill")) {
      throw new IllegalArgumentException("alloc " + allocId + " is not live in this cluster; live: "
          + liveIds());
    }
  }

  /**
   * Kills every exec, frees every alloc and waits for that (up to 30 seconds), then deletes the
   * work directory if this cluster created it and stops the cluster's threads. Allocation fails
   * from now on. Idempotent.
   *
   * @throws IllegalStateException if an alloc could not be freed in time (a process would not die)
   */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: this may be the hook itself.
    }
    shutDown();
  }

  private void closeOnExit() {
    try {
      shutDown();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "closing local cluster " + workDir + " at exit failed", e);
    }
  }

  private void shutDown() {
    List<LocalAlloc> toFree;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toFree = new ArrayList<>(allocs.values());
    }
    try {
      SandboxAlloc.freeAll("local cluster " + workDir, toFree, CLOSE_TIMEOUT);
    } finally {
      executor.shutdown();
      timer.shutdown();
      if (cgroup != null && !cgroup.remove()) {
        LOG.log(Level.WARNING, "local cluster: could not remove its " + cgroup);
      }
    }
    if (ownsWorkDir) {
      try {
        Sandbox.delete(workDir);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "local cluster: could not delete its work directory " + workDir, e);
      }
    }
  }

  /** Gives a freed alloc's slice back. Called once per alloc, by its {@code free()}. */
  void release(LocalAlloc alloc) {
    synchronized (this) {
      if (allocs.remove(alloc.id()) != null) {
        pool.giveBack(alloc.resources());
      }
    }
  }

  private synchronized List<String> liveIds() {
    List<String> ids = new ArrayList<>();
    for (LocalAlloc a : allocs.values()) {
      if (a.isLive()) {
        ids.add(a.id());
      }
    }
    return ids;
  }

  @Override
  public synchronized String toString() {
    return "local cluster " + pool.total() + ", free " + pool.free() + ", " + allocs.size()
        + " alloc" + (allocs.size() == 1 ? "" : "s") + ", work directory " + workDir;
  }


  /** Returns the machine's physical memory, or the JVM's maximum heap if the platform hides it. */
  private static long physicalMemory() {
    try {
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        long bytes = os.getTotalMemorySize();
        if (bytes > 0) {
          return bytes;
        }
      }
    } catch (LinkageError | RuntimeException e) {
      LOG.log(Level.DEBUG, "cannot read the machine's memory size; using the maximum heap", e);
    }
    return Runtime.getRuntime().maxMemory();
  }

  /**
   * Builds a {@link LocalCluster}. Each option may be set once, and each setter refuses a bad value
   * at once. Unset options default to this machine's size and a new temporary work directory,
   * worked out in one place, {@link #build()}.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private @Nullable Double cpu;
    private @Nullable Long memory;
    private @Nullable Path workDir;
    private boolean cgroups = true;

    private Builder() {}

    /**
     * Sets how many cpus the cluster hands out in all; default
     * {@link Runtime#availableProcessors()}.
     *
     * @param cpu the number of cpus
     * @return this builder
     * @throws IllegalArgumentException if {@code cpu} is not a positive finite number
     */
    public Builder cpu(double cpu) {
      requireUnset(this.cpu, "cpu");
      this.cpu = requirePositiveFinite(cpu, "cpu");
      return this;
    }

    /**
     * Sets how many bytes of memory the cluster hands out in all; default the machine's physical
     * memory (the JVM's maximum heap if the platform does not say).
     *
     * @param bytes the amount of memory in bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public Builder memory(long bytes) {
      requireUnset(this.memory, "memory");
      this.memory = requirePositive(bytes, "memory");
      return this;
    }

    /**
     * Sets the directory under which allocs keep their repositories and sandboxes; created if
     * missing, and left in place on close (only what the cluster put in it is deleted). Default:
     * a new temporary directory, deleted on close.
     *
     * @param workDir the work directory
     * @return this builder
     */
    public Builder workDir(Path workDir) {
      requireUnset(this.workDir, "work directory");
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    /**
     * Makes the cluster track its processes without cgroups even where it could use them, for
     * tests of what happens where it cannot.
     *
     * @return this builder
     */
    Builder withoutCgroups() {
      this.cgroups = false;
      return this;
    }

    /**
     * Builds the cluster, filling in the defaults of unset options: this machine's cpus and memory,
     * and a new temporary work directory.
     *
     * @return the cluster
     * @throws UncheckedIOException if the work directory cannot be created
     */
    public LocalCluster build() {
      double c = cpu != null ? cpu : Runtime.getRuntime().availableProcessors();
      long m = memory != null ? memory : physicalMemory();
      Resources total = Resources.of(Resources.CPU, c, Resources.MEM, m);
      try {
        if (workDir != null) {
          Files.createDirectories(workDir);
          return new LocalCluster(total, workDir.toRealPath(), false, cgroups);
        }
        return new LocalCluster(total, Files.createTempDirectory("stowage-local-").toRealPath(),
            true, cgroups);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the local cluster's work directory: " + e, e);
      }
    }

  }
}
