package org.stowage.scheduler.slurm;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.process.ProcessExec;

/**
 * One exec on a {@link SlurmAlloc}: a job step, {@code srun --jobid=ID --overlap -n1 ...}, run
 * in its own sandbox directory under the shared directory.
 *
 * <p>Life: as a {@link ProcessExec}. {@link #start} lays out the sandbox and starts {@code srun};
 * two threads of the cluster keep the tails of its standard output and error (the command's, plus
 * srun's own messages). When srun ends, a thread of the cluster asks Slurm whether the allocation
 * still runs, because srun's exit code is not to be trusted when a node fails; if it does not, the
 * result completes with an {@link AllocLostException}. Otherwise {@code out/} is collected, the
 * sandbox deleted, and only then the result completes.
 *
 * <p>Thread-safety: thread-safe. {@link #kill()} may race with the end of srun; the result
 * completes once.
 */
final class SlurmExec extends ProcessExec {

  /** How long srun may take to cancel its step after SIGTERM before it gets SIGKILL. */
  static final Duration KILL_GRACE = Duration.ofSeconds(2);

  private final SlurmAlloc alloc;
  private final SlurmCli cli;

  private SlurmExec(ExecRequest request, SlurmAlloc alloc, Path sandbox, FileRepository repository,
      SlurmCli cli, Executor executor, ScheduledExecutorService timer, Process srun) {
    super("slurm", request, alloc.id(), sandbox, repository, executor, timer, srun);
    this.alloc = alloc;
    this.cli = cli;
  }

  /**
   * Lays out {@code sandbox} and starts the step.
   *
   * @throws RuntimeException if the sandbox cannot be laid out or srun cannot be started; the
   *     sandbox is then removed
   */
  static SlurmExec start(ExecRequest request, SlurmAlloc alloc, Path sandbox,
      FileRepository repository, SlurmCli cli, Executor executor,
      ScheduledExecutorService timer) {
    Process srun = launch(request, alloc.id(), sandbox, repository, "srun",
        () -> cli.builder(command(request, alloc, sandbox)), Map.of());
    SlurmExec exec = new SlurmExec(request, alloc, sandbox, repository, cli, executor, timer, srun);
    exec.watch();
    return exec;
  }

  /**
   * Returns the srun command line: one task ({@code -n1}) with the task's cpus rounded up (at
   * least one, at most the alloc's) and its memory in whole MiB, sharing the allocation with the
   * other steps ({@code --overlap}), no standard input.
   */
  static List<String> command(ExecRequest request, SlurmAlloc alloc, Path sandbox) {
    Resources need = request.resources();
    long cpus = Math.max(1, Math.min(alloc.cpus(), (long) Math.ceil(need.get(Resources.CPU))));
    long mib = Math.min(alloc.memoryMiB(), SlurmCli.mib(need.get(Resources.MEM)));
    List<String> cmd = new ArrayList<>(List.of("srun", "--jobid=" + alloc.jobId(), "--overlap",
        "-n1", "-c", Long.toString(cpus)));
    if (mib > 0) {
      cmd.add(String.format(Locale.ROOT, "--mem=%dM", mib));
    }
    cmd.addAll(List.of("-i", "none", "--quiet", "--chdir=" + sandbox, "-J",
        alloc.jobName() + "-" + request.id(), "--"));
    cmd.addAll(request.config().command());
    return cmd;
  }

  /**
   * Cancels the step: SIGTERM to srun, which makes Slurm kill the task and end the step (srun
   * exits within milliseconds), then SIGKILL after {@link #KILL_GRACE} if srun still runs. The
   * result then completes normally with srun's exit code and the output tails, but no outputs;
   * the allocation stays up.
   */
  @Override
  protected void terminate() {
    Process srun = process();
    srun.destroy();
    try {
      timer().schedule(() -> {
        if (srun.isAlive()) {
          srun.destroyForcibly();
        }
      }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The cluster is closed and its timer stopped: srun gets no second signal, but the job is
      // cancelled by then, which ends the step and srun with it.
      log.log(Level.DEBUG, () -> "exec " + id() + ": no forced kill after close", e);
    }
  }

  /**
   * Asks Slurm whether the allocation still runs: srun's exit code is unreliable when a node
   * fails (0 as often as 143), so it is trusted only if it does. If not, marks the alloc lost.
   */
  @Override
  protected @Nullable AllocLostException lostWhenEnded() {
    String lost = null;
    SlurmCli.JobState state = cli.state(alloc.jobId());
    if (state instanceof SlurmCli.JobState.Gone gone) {
      lost = gone.why();
    } else if (stderrText().contains("Node failure")) {
      lost = "srun reported a node failure";
    } else if (state instanceof SlurmCli.JobState.Unknown unknown) {
      log.log(Level.WARNING, "exec " + id() + " on alloc " + alloc.id()
          + ": cannot check the allocation after the step ended; trusting exit code "
          + process().exitValue() + ": " + unknown.why());
    }
    if (lost == null) {
      return null;
    }
    alloc.lost(lost);
    return new AllocLostException("alloc " + alloc.id() + " is lost (" + lost + "); exec " + id()
        + " ended with it (srun exit code " + process().exitValue() + ")");
  }

  /** Returns srun's process, for tests. */
  ProcessHandle srun() {
    return process().toHandle();
  }
}
