package org.stowage.scheduler.slurm;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.process.SandboxAlloc;

/**
 * An alloc of a {@link SlurmCluster}: one Slurm job holding cpus and memory on one node, with a
 * directory under the shared directory that holds its repository ({@code repository/}) and the
 * sandboxes of its execs ({@code execs/}). Its id reads {@code slurm-<job id>}; its resources are
 * the cpus and memory Slurm granted the job (and the disk asked for, not enforced). Freeing it
 * cancels the job ({@code scancel ID}), which ends its steps, and waits for the execs to end.
 *
 * <p>Concurrency: as a {@link SandboxAlloc}: the alloc's state (lost, freed, the running execs) is
 * guarded by its monitor; {@link #start} holds it while it lays out a sandbox and starts srun, so
 * that {@link #free()} sees every exec that was started. {@link #keepalive()} asks Slurm on a
 * thread of the cluster. Thread-safe.
 */
final class SlurmAlloc extends SandboxAlloc<SlurmExec> {

  /** How long a transient failure to reach the controller may delay the next keepalive. */
  static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

  private final long jobId;
  private final String jobName;
  private final String node;
  private final long cpus;
  private final long memoryMiB;
  private final SlurmCluster cluster;
  private final SlurmCli cli;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final Duration keepaliveInterval;

  SlurmAlloc(long jobId, String jobName, String node, long cpus, long memoryMiB, double disk,
      Path dir, FileRepository repository, SlurmCluster cluster, SlurmCli cli, Executor executor,
      ScheduledExecutorService timer, Duration keepaliveInterval) {
    super("slurm-" + jobId, "lost", granted(cpus, memoryMiB, disk), dir, repository, executor);
    this.jobId = jobId;
    this.jobName = jobName;
    this.node = node;
    this.cpus = cpus;
    this.memoryMiB = memoryMiB;
    this.cluster = cluster;
    this.cli = cli;
    this.executor = executor;
    this.timer = timer;
    this.keepaliveInterval = keepaliveInterval;
  }

  private static Resources granted(long cpus, long memoryMiB, double disk) {
    Resources granted = Resources.of(Resources.CPU, cpus, Resources.MEM, memoryMiB * Resources.MiB);
    return disk > 0 ? granted.plus(Resources.of(Resources.DISK, disk)) : granted;
  }

  /** Starts the command as a job step; see {@link SlurmExec#start}. */
  @Override
  protected SlurmExec startExec(ExecRequest request, int n, Path sandbox) {
    return SlurmExec.start(request, this, sandbox, repository(), cli, executor, timer);
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
    CompletableFuture<Duration> refused = refusal();
    if (refused != null) {
      return refused;
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
      log.log(Level.WARNING, "alloc " + id() + ": keepalive could not reach Slurm; asking again in "
          + RETRY_INTERVAL + ": " + ((SlurmCli.JobState.Unknown) state).why());
      return RETRY_INTERVAL;
    }, executor);
  }

  /**
   * Kills the execs, then cancels the job ({@code scancel ID}), which ends its steps, on a thread
   * of the cluster; completes when the execs ended, or after 10 seconds.
   */
  @Override
  protected CompletableFuture<?> stopExecs(List<SlurmExec> running) {
    return CompletableFuture.runAsync(() -> {
      // Killed first, so that their results read "killed", not "lost", when the job ends.
      running.forEach(SlurmExec::kill);
      try {
        SlurmCli.Output out = cli.cancel(List.of(jobId));
        if (!out.ok()) {
          log.log(Level.WARNING, "alloc " + id() + ": scancel failed: " + out.message());
        }
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "alloc " + id() + ": scancel failed", e);
      }
    }, executor)
        .thenCompose(v -> CompletableFuture.allOf(running.stream().map(SlurmExec::ended)
            .toArray(CompletableFuture[]::new))
            .completeOnTimeout(null, 10, TimeUnit.SECONDS));
  }

  /** Forgets the alloc in the cluster. */
  @Override
  protected void released() {
    cluster.release(this);
  }

  /** Marks the alloc lost: keepalives fail and nothing more starts. */
  void lost(String why) {
    markLost(why, false);
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

  @Override
  public String toString() {
    return "slurm alloc " + id() + " " + resources() + " on " + node + state();
  }
}
