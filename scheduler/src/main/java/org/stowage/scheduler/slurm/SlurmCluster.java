package org.stowage.scheduler.slurm;

import static org.stowage.scheduler.internal.Checks.quote;
import static org.stowage.scheduler.internal.Checks.requireEnvironment;
import static org.stowage.scheduler.internal.Checks.requireNotBlank;
import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requireUnset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
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
import org.stowage.scheduler.internal.process.Sandbox;
import org.stowage.scheduler.internal.process.SandboxAlloc;

/**
 * A {@link Cluster} backed by a Slurm batch system, driven through its command-line client: each
 * alloc is a Slurm job on one node, each exec a job step in it.
 *
 * <pre>{@code
 * try (SlurmCluster cluster = SlurmCluster.newBuilder()
 *          .partition("batch").sharedDir(Path.of("/shared/scratch/stowage")).build();
 *      Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).repository(repo).build()) {
 *   scheduler.submit(tasks);
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Shapes.</b> {@link SlurmCluster.Builder#build()} asks {@code sinfo} once for the cpus and
 * memory of every node (of the partition, if one is set). An alloc lives on one node, so
 * {@link #canAllocate} says never to more cpu or memory than the largest node has, or to any
 * resource other than cpu, memory and disk; the reason names the largest node, for example
 * {@code the largest Slurm node has {cpu:4 mem:8GiB}}. Disk is not asked of Slurm: an alloc is
 * granted the disk it asks for, on the shared directory's file system.
 *
 * <p><b>Allocation.</b> {@link #allocate} runs {@code salloc --no-shell -c CPUS --mem=MiB -J NAME}
 * on a thread of the cluster and completes when Slurm grants the job, however long it stays
 * pending. The job asks for {@code requirements.max()} capped at the largest node, at least
 * {@code requirements.min()}, in whole cpus and MiB. Slurm's "Requested node configuration is not
 * available" fails the future with {@link AllocationException.Kind#NEVER}; any other refusal with
 * {@code NOT_NOW}. Cancelling the future ends the salloc (which withdraws a pending job) and
 * cancels the job if it was granted meanwhile.
 *
 * <p><b>Layout.</b> Each alloc has a directory {@code slurm-<job id>/} under the shared
 * directory, which every node must see at the same path: its {@link FileRepository}
 * ({@code repository/}) and one sandbox per exec ({@code execs/<n>-<exec id>/}), laid out as by
 * {@link org.stowage.scheduler.local.LocalCluster}: the inputs as read-only copies of the exec's
 * own, each checked against its digest, an empty {@code out/} whose regular files become the
 * outputs, by their path relative to {@code out/}.
 * The exec's result carries srun's exit code (the command's) and the last 64 KiB of standard
 * output and error; the latter includes srun's own error messages.
 *
 * <p><b>Job names.</b> Every job this cluster creates is named {@code <prefix>-<token>-<n>}
 * (steps: the alloc's name, a dash and the exec id), where the token is random per cluster
 * object, so that {@link #close()} can find and cancel all of its jobs, and nothing else.
 *
 * <p><b>Closing.</b> {@link #close()} ends pending sallocs, frees every alloc, cancels any job
 * still carrying this cluster's name and deletes the directories it created. A cluster not
 * closed when the JVM exits is closed by a shutdown hook.
 *
 * <p>Thread-safety: thread-safe. {@link #canAllocate} answers from memory; everything that runs a
 * Slurm command does so on the cluster's own daemon threads, except {@link #close()} and
 * {@link Builder#build()}, which block the caller.
 */
public final class SlurmCluster implements Cluster, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(SlurmCluster.class.getName());
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final SlurmCli cli;
  private final @Nullable String partition;
  private final Path sharedDir;
  private final boolean ownsSharedDir;
  private final String jobPrefix;
  private final Duration keepaliveInterval;
  private final NodeShapes nodes;
  private final ExecutorService executor;
  private final ScheduledExecutorService timer;
  private final SallocRequests requests;
  private final Thread shutdownHook;

  // Guarded by this.
  private final Map<Long, SlurmAlloc> allocs = new LinkedHashMap<>();
  private boolean closed;

  private SlurmCluster(Builder b, SlurmCli cli, Path sharedDir, boolean ownsSharedDir,
      List<Resources> nodes, ExecutorService executor, ScheduledExecutorService timer) {
    this.cli = cli;
    this.partition = b.partition;
    this.sharedDir = sharedDir;
    this.ownsSharedDir = ownsSharedDir;
    this.jobPrefix = (b.jobNamePrefix != null ? b.jobNamePrefix : Builder.DEFAULT_JOB_NAME_PREFIX)
        + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.keepaliveInterval = b.keepaliveInterval != null ? b.keepaliveInterval
        : Builder.DEFAULT_KEEPALIVE_INTERVAL;
    this.nodes = new NodeShapes(nodes);
    this.executor = executor;
    this.timer = timer;
    this.requests = new SallocRequests(this, cli, jobPrefix, partition, b.pendingTimeout, executor);
    this.shutdownHook = new Thread(this::closeOnExit, jobPrefix + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
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
   * Returns the largest node's cpus and memory, as {@code sinfo} said at build.
   *
   * @return the largest node's shape
   */
  public Resources largestNode() {
    return nodes.largest();
  }

  /**
   * Returns the directory under which allocs keep their repositories and sandboxes.
   *
   * @return the shared directory
   */
  public Path sharedDir() {
    return sharedDir;
  }

  /**
   * Returns the start of the name of every job this cluster creates: the prefix, a dash and a
   * token random to this cluster object, for example {@code stowage-3f2a9c1e}.
   *
   * @return the job name prefix, token included
   */
  public String jobNamePrefix() {
    return jobPrefix;
  }

  /**
   * Asks Slurm for a job on one node; never blocks. See the class comment for how the job is
   * sized. The labels are ignored.
   *
   * @return a future that completes with the alloc once Slurm grants the job, or exceptionally
   *     with an {@link AllocationException}: {@code NEVER} if no node could ever hold it,
   *     {@code NOT_NOW} if Slurm refused it for another reason (or the pending timeout passed),
   *     or an {@link IllegalStateException} if the cluster is closed. Cancelling it withdraws the
   *     request, and cancels the job if it was granted meanwhile.
   */
  @Override
  public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
    AllocationException never = Admissions.never(this, requirements, labels);
    if (never != null) {
      return CompletableFuture.failedFuture(never);
    }
    NodeShapes.Job job = nodes.jobFor(requirements);
    return requests.request(job.cpus(), job.mib(), requirements.max().get(Resources.DISK));
  }

  /**
   * Says whether a job of {@code resources} fits one node: never if it needs more cpu or memory
   * than the largest node has, or any resource other than cpu, memory and disk.
   */
  @Override
  public Admission canAllocate(Resources resources) {
    return nodes.admit(resources);
  }

  /**
   * Ends pending sallocs, frees every alloc (scancel), cancels any job left with this cluster's
   * name, waits for that (up to 30 seconds), deletes the directories the cluster created and
   * stops its threads. Allocation fails from now on. Idempotent.
   *
   * @throws IllegalStateException if freeing the allocs did not finish in time
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
      LOG.log(Level.WARNING, "closing slurm cluster " + jobPrefix + " at exit failed", e);
    }
  }

  private void shutDown() {
    // First, so that no request escapes: allocate fails from here on.
    requests.close();
    List<SlurmAlloc> toFree;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toFree = new ArrayList<>(allocs.values());
    }
    try {
      SandboxAlloc.freeAll("slurm cluster " + jobPrefix, toFree, CLOSE_TIMEOUT);
    } finally {
      try {
        cancelLeftovers();
      } finally {
        executor.shutdown();
        timer.shutdown();
        deleteDirectories();
      }
    }
  }

  /** Cancels every job still carrying this cluster's name: none, unless something went astray. */
  private void cancelLeftovers() {
    try {
      List<Long> ids = cli.jobsNamed(jobPrefix + "-");
      if (!ids.isEmpty()) {
        LOG.log(Level.WARNING, "slurm cluster " + jobPrefix + ": cancelling leftover jobs " + ids);
        cli.cancel(ids);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "slurm cluster " + jobPrefix + ": looking for leftover jobs failed",
          e);
    }
  }

  private void deleteDirectories() {
    try {
      if (ownsSharedDir) {
        Sandbox.delete(sharedDir);
      } else {
        try (var dirs = Files.list(sharedDir)) {
          for (Path d : (Iterable<Path>) dirs::iterator) {
            if (d.getFileName().toString().startsWith(jobPrefix + "-")) {
              Sandbox.delete(d);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "slurm cluster " + jobPrefix + ": could not delete its directories"
          + " under " + sharedDir, e);
    }
  }

  /**
   * Turns a job Slurm granted into an alloc of this cluster, with its directory, unless the
   * cluster is closed; called by the request, once per granted job.
   *
   * @return the alloc, or null if the cluster is closed (the caller cancels the job)
   * @throws IOException if the alloc's directory cannot be created
   */
  synchronized @Nullable SlurmAlloc adopt(long jobId, String name, String node, long cpus,
      long mib, double disk) throws IOException {
    if (closed) {
      return null;
    }
    Path dir = Files.createDirectories(sharedDir.resolve(name + "-slurm-" + jobId));
    SlurmAlloc alloc = new SlurmAlloc(jobId, name, node, cpus, mib, disk, dir,
        FileRepository.open(dir.resolve("repository")), this, cli, executor, timer,
        keepaliveInterval);
    allocs.put(jobId, alloc);
    return alloc;
  }

  /** Forgets a freed alloc. Called once per alloc, by its {@code free()}. */
  synchronized void release(SlurmAlloc alloc) {
    allocs.remove(alloc.jobId());
  }

  /** Returns the allocs not yet freed, for tests. */
  synchronized List<SlurmAlloc> allocs() {
    return List.copyOf(allocs.values());
  }

  @Override
  public synchronized String toString() {
    return "slurm cluster " + jobPrefix + (partition != null ? " partition " + partition : "")
        + ", largest node " + nodes.largest() + ", " + allocs.size() + " alloc"
        + (allocs.size() == 1 ? "" : "s") + ", shared directory " + sharedDir;
  }


  /**
   * Builds a {@link SlurmCluster}. Each option may be set once, and each setter refuses a bad value
   * at once. The defaults of unset options are the constants below and, for the environment and
   * the shared directory, worked out by {@link #build()}.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private static final String DEFAULT_JOB_NAME_PREFIX = "stowage";
    private static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(2);

    private @Nullable Map<String, String> environment;
    private @Nullable String partition;
    private @Nullable Path sharedDir;
    private @Nullable String jobNamePrefix;
    private @Nullable Duration keepaliveInterval;
    private @Nullable Duration pendingTimeout;

    private Builder() {}

    /**
     * Sets the environment of every Slurm command (at least {@code PATH}, and
     * {@code SLURM_CONF} where there is no {@code /etc/slurm/slurm.conf}); it replaces the JVM's
     * own. Default: the JVM's environment. {@code SLURM_JWT} is always removed. Tasks see it too,
     * with their exec config's environment on top.
     *
     * @param environment the variables of the Slurm commands
     * @return this builder
     * @throws IllegalArgumentException if a name is empty or holds '=' or NUL, or a value holds NUL
     * @throws NullPointerException if a name or a value is null
     */
    public Builder environment(Map<String, String> environment) {
      // Say how many variables, not what they are: an environment may hold secrets.
      requireUnset(this.environment == null ? null : this.environment.size() + " variables",
          "environment");
      this.environment = requireEnvironment(environment);
      return this;
    }

    /**
     * Sets the partition to allocate in; default: the cluster's default partition.
     *
     * @param partition the partition's name; not blank
     * @return this builder
     */
    public Builder partition(String partition) {
      requireUnset(this.partition, "partition");
      this.partition = requireNotBlank(partition, "partition");
      return this;
    }

    /**
     * Sets the directory, visible at the same path on every node, under which allocs keep their
     * repositories and sandboxes; created if missing, and left in place on close (only what the
     * cluster put in it is deleted). Default: a new temporary directory, deleted on close, which
     * only works when the nodes share this machine's file system.
     *
     * @param sharedDir the shared directory
     * @return this builder
     */
    public Builder sharedDir(Path sharedDir) {
      requireUnset(this.sharedDir, "shared directory");
      this.sharedDir = Objects.requireNonNull(sharedDir, "sharedDir");
      return this;
    }

    /**
     * Sets the start of every job name; default {@code stowage}. A dash and a token random to the
     * cluster object follow it.
     *
     * @param prefix the start of job names
     * @return this builder
     * @throws IllegalArgumentException if it is empty or holds anything but letters, digits,
     *     dots, dashes and underscores
     */
    public Builder jobNamePrefix(String prefix) {
      requireUnset(this.jobNamePrefix, "job name prefix");
      Objects.requireNonNull(prefix, "prefix");
      if (!prefix.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException(
            "job name prefix must be letters, digits, '.', '-' or '_' but was " + quote(prefix));
      }
      this.jobNamePrefix = prefix;
      return this;
    }

    /**
     * Sets how long the scheduler may wait between keepalives of a healthy alloc; default 2 s.
     *
     * @param interval the delay between keepalives; positive
     * @return this builder
     */
    public Builder keepaliveInterval(Duration interval) {
      requireUnset(this.keepaliveInterval, "keepalive interval");
      this.keepaliveInterval = requirePositive(interval, "keepalive interval");
      return this;
    }

    /**
     * Sets how long a job may stay pending before the allocation fails with {@code NOT_NOW}
     * ({@code salloc --immediate}, whole seconds), so that the scheduler backs off and may free
     * idle allocs that block it. Default: wait as long as Slurm keeps the job pending, as does a
     * timeout of 100 years or more.
     *
     * @param timeout how long a job may stay pending; at least one second
     * @return this builder
     */
    public Builder pendingTimeout(Duration timeout) {
      requireUnset(this.pendingTimeout, "pending timeout");
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.toSeconds() < 1) {
        throw new IllegalArgumentException("pending timeout must be >= 1s but was " + timeout);
      }
      this.pendingTimeout = timeout;
      return this;
    }

    /**
     * Asks {@code sinfo} for the nodes' shapes and returns the cluster.
     *
     * @return the cluster
     * @throws IllegalStateException if {@code sinfo} fails or lists no node
     * @throws UncheckedIOException if the shared directory cannot be created
     */
    public SlurmCluster build() {
      Map<String, String> env = environment != null ? environment : System.getenv();
      String name = "stowage-slurm-" + CLUSTERS.incrementAndGet();
      ExecutorService executor = Executors.newCachedThreadPool(DaemonThreads.named(name + "-"));
      ScheduledExecutorService timer =
          Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name + "-timer-"));
      try {
        SlurmCli cli = new SlurmCli(env, executor);
        List<Resources> nodes = cli.nodes(partition);
        Path dir = sharedDir;
        boolean owns = dir == null;
        dir = dir != null ? Files.createDirectories(dir)
            : Files.createTempDirectory("stowage-slurm-");
        return new SlurmCluster(this, cli, dir, owns, nodes, executor, timer);
      } catch (IOException e) {
        executor.shutdown();
        timer.shutdown();
        throw new UncheckedIOException("cannot create the shared directory: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        executor.shutdown();
        timer.shutdown();
        throw e;
      }
    }

  }
}
