package org.stowage.scheduler.slurm;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.Sandbox;

/**
 * An alloc of a {@link SlurmCluster}: one Slurm job holding cpus and memory on one node, with a
 * directory under the shared directory that holds its repository ({@code repository/}) and the
 * sandboxes of its execs ({@code execs/}).
 *
 * <p>Concurrency: the alloc's state (lost, freed, the running execs) is guarded by its monitor;
 * {@link #start} holds it while it lays out a sandbox and starts srun, so that {@link #free()}
 * sees every exec that was started. {@link #keepalive()} asks Slurm on a thread of the cluster.
 * Thread-safe.
 */
final class SlurmAlloc implements Alloc {

  private static final System.Logger LOG = System.getLogger(SlurmAlloc.class.getName());

  /** How long a transient failure to reach the controller may delay the next keepalive. */
  static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

  private final long jobId;
  private final String jobName;
  private final String node;
  private final long cpus;
  private final long memoryMiB;
  private final Resources resources;
  private final Path dir;
  private final FileRepository repository;
  private final SlurmCluster cluster;
  private final SlurmCli cli;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final Duration keepaliveInterval;

  private final Set<SlurmExec> running = new LinkedHashSet<>();
  private int execs;
  private volatile @Nullable String lostBecause;
  private volatile @Nullable CompletableFuture<Void> freed;

  SlurmAlloc(long jobId, String jobName, String node, long cpus, long memoryMiB, double disk,
      Path dir, FileRepository repository, SlurmCluster cluster, SlurmCli cli, Executor executor,
      ScheduledExecutorService timer, Duration keepaliveInterval) {
    this.jobId = jobId;
    this.jobName = jobName;
    this.node = node;
    this.cpus = cpus;
    this.memoryMiB = memoryMiB;
    Resources granted = Resources.of(Resources.CPU, cpus, Resources.MEM, memoryMiB * Resources.MiB);
    this.resources = disk > 0 ? granted.plus(Resources.of(Resources.DISK, disk)) : granted;
    this.dir = dir;
    this.repository = repository;
    this.cluster = cluster;
    this.cli = cli;
    this.executor = executor;
    this.timer = timer;
    this.keepaliveInterval = keepaliveInterval;
  }

  /** Returns {@code slurm-<job id>}. */
  @Override
  public String id() {
    return "slurm-" + jobId;
  }

  /** Returns the cpus and memory Slurm granted the job (and the disk asked for, not enforced). */
  @Override
  public Resources resources() {
    return resources;
  }

  /** Returns the alloc's repository under the shared directory; deleted when it is freed. */
  @Override
  public FileRepository repository() {
    return repository;
  }

  /**
   * Runs {@code request.config().command()} as a job step in a new sandbox directory holding the
   * request's inputs; see {@link SlurmCluster} for the layout.
   *
   * @throws AllocLostException if the alloc is lost or freed
   * @throws IllegalArgumentException if an input lies inside {@code out/}
   * @throws IllegalStateException if an input's object is not in the alloc's repository
   * @throws java.io.UncheckedIOException if the sandbox cannot be laid out or srun cannot start
   */
  @Override
  public synchronized Exec start(ExecRequest request) {
    if (lostBecause != null || freed != null) {
      throw new AllocLostException("alloc " + id() + " is "
          + (lostBecause != null ? "lost (" + lostBecause + ")" : "freed"));
    }
    int n = ++execs;
    Path sandbox = dir.resolve("execs").resolve(n + "-" + safe(request.id()));
    SlurmExec exec = SlurmExec.start(request, this, sandbox, repository, cli, executor, timer);
    running.add(exec);
    exec.ended().whenComplete((v, e) -> ended(exec));
    return exec;
  }

  /**
   * Asks Slurm for the job's state ({@code squeue -h -t all -j ID -o %T}) on a thread of the
   * cluster. Completes with the keepalive interval while the job is RUNNING or CONFIGURING, or
   * exceptionally with an {@link AllocLostException} naming the state once it is anything else
   * or unknown to Slurm. When the controller cannot be reached, the alloc is not declared lost:
   * the future completes with a short interval so that the scheduler asks again soon.
   */
  @Override
  public CompletableFuture<Duration> keepalive() {
    String why = lostBecause;
    if (why != null) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id() + " is lost: "
          + why));
    }
    if (freed != null) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id() + " was freed"));
    }
    return CompletableFuture.supplyAsync(() -> {
      SlurmCli.JobState state = cli.state(jobId);
      if (state instanceof SlurmCli.JobState.Alive) {
        return keepaliveInterval;
      }
      if (state instanceof SlurmCli.JobState.Gone gone) {
        lost(gone.why());
        throw new AllocLostException("alloc " + id() + " is lost: " + gone.why());
      }
      LOG.log(Level.WARNING, "alloc " + id() + ": keepalive could not reach Slurm; asking again in "
          + RETRY_INTERVAL + ": " + ((SlurmCli.JobState.Unknown) state).why());
      return RETRY_INTERVAL;
    }, executor);
  }

  /**
   * Cancels the job ({@code scancel ID}), which ends its steps, waits for the execs to end and
   * deletes the alloc's directory. Idempotent: every call returns the same future.
   */
  @Override
  public CompletableFuture<Void> free() {
    List<SlurmExec> toKill;
    CompletableFuture<Void> done;
    synchronized (this) {
      CompletableFuture<Void> already = freed;
      if (already != null) {
        return already;
      }
      done = new CompletableFuture<>();
      freed = done;
      toKill = new ArrayList<>(running);
    }
    CompletableFuture.runAsync(() -> {
      // Killed first, so that their results read "killed", not "lost", when the job ends.
      toKill.forEach(SlurmExec::kill);
      try {
        SlurmCli.Output out = cli.cancel(List.of(jobId));
        if (!out.ok()) {
          LOG.log(Level.WARNING, "alloc " + id() + ": scancel failed: " + out.message());
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "alloc " + id() + ": scancel failed", e);
      }
    }, executor)
        .thenCompose(v -> CompletableFuture.allOf(toKill.stream().map(SlurmExec::ended)
            .toArray(CompletableFuture[]::new))
            .completeOnTimeout(null, 10, TimeUnit.SECONDS))
        .whenCompleteAsync((v, e) -> {
          try {
            Sandbox.delete(dir);
          } catch (IOException | RuntimeException x) {
            LOG.log(Level.WARNING, "alloc " + id() + ": could not delete its directory " + dir, x);
          } finally {
            cluster.release(this);
            done.complete(null);
          }
        }, executor);
    return done;
  }

  /** Marks the alloc lost: keepalives fail and nothing more starts. */
  void lost(String why) {
    synchronized (this) {
      if (lostBecause == null) {
        lostBecause = why;
      }
    }
  }

  long jobId() {
    return jobId;
  }

  String jobName() {
    return jobName;
  }

  /** Returns the node Slurm placed the job on. */
  String node() {
    return node;
  }

  long cpus() {
    return cpus;
  }

  long memoryMiB() {
    return memoryMiB;
  }

  Path dir() {
    return dir;
  }

  /** Returns the execs running now. */
  synchronized List<SlurmExec> running() {
    return List.copyOf(running);
  }

  private synchronized void ended(SlurmExec exec) {
    running.remove(exec);
  }

  private static String safe(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
  }

  @Override
  public synchronized String toString() {
    return "slurm alloc " + id() + " " + resources + " on " + node
        + (lostBecause != null ? " (lost: " + lostBecause + ")" : "")
        + (freed != null ? " (freed)" : "") + ", " + running.size() + " running";
  }
}
