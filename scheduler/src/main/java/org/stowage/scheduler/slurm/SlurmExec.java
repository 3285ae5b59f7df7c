package org.stowage.scheduler.slurm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.OutputTail;
import org.stowage.scheduler.internal.Sandbox;

/**
 * One exec on a {@link SlurmAlloc}: a job step, {@code srun --jobid=ID --overlap -n1 ...}, run
 * in its own sandbox directory under the shared directory.
 *
 * <p>Life: {@link #start} lays out the sandbox and starts {@code srun}; two threads of the
 * cluster keep the tails of its standard output and error (the command's, plus srun's own
 * messages). When srun ends, a thread of the cluster asks Slurm whether the allocation still
 * runs, because srun's exit code is not to be trusted when a node fails; if it does not, the
 * result completes with an {@link AllocLostException}. Otherwise {@code out/} is collected, the
 * sandbox deleted, and only then the result completes.
 *
 * <p>Thread-safety: thread-safe. {@link #kill()} may race with the end of srun; the result
 * completes once.
 */
final class SlurmExec implements Exec {

  private static final System.Logger LOG = System.getLogger(SlurmExec.class.getName());

  /** How much of standard output and of standard error an exec keeps: the last 64 KiB of each. */
  static final int TAIL_BYTES = 64 * 1024;

  /** How long srun may take to cancel its step after SIGTERM before it gets SIGKILL. */
  static final Duration KILL_GRACE = Duration.ofSeconds(2);

  private static final Duration TAIL_WAIT = Duration.ofSeconds(2);

  private final ExecRequest request;
  private final SlurmAlloc alloc;
  private final Path sandbox;
  private final FileRepository repository;
  private final SlurmCli cli;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final Process srun;
  private final OutputTail stdout = new OutputTail(TAIL_BYTES);
  private final OutputTail stderr = new OutputTail(TAIL_BYTES);
  private final AtomicBoolean killed = new AtomicBoolean();
  private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  private SlurmExec(ExecRequest request, SlurmAlloc alloc, Path sandbox, FileRepository repository,
      SlurmCli cli, Executor executor, ScheduledExecutorService timer, Process srun) {
    this.request = request;
    this.alloc = alloc;
    this.sandbox = sandbox;
    this.repository = repository;
    this.cli = cli;
    this.executor = executor;
    this.timer = timer;
    this.srun = srun;
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
    Process srun;
    try {
      Sandbox.create(sandbox, request.inputs(), repository);
      ProcessBuilder builder = cli.builder(command(request, alloc, sandbox))
          .directory(sandbox.toFile());
      builder.environment().putAll(request.config().environment());
      srun = builder.start();
    } catch (IOException | RuntimeException e) {
      try {
        Sandbox.delete(sandbox);
      } catch (IOException | RuntimeException x) {
        e.addSuppressed(x);
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("exec " + request.id() + " on alloc " + alloc.id()
            + " could not start srun: " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
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
    long mib = Math.min(alloc.memoryMiB(), SlurmCluster.mib(need.get(Resources.MEM)));
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

  private void watch() {
    try {
      srun.getOutputStream().close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, () -> "exec " + request.id() + ": closing srun's standard input failed",
          e);
    }
    executor.execute(() -> stdout.drain(srun.getInputStream()));
    executor.execute(() -> stderr.drain(srun.getErrorStream()));
    srun.onExit().whenCompleteAsync((p, e) -> finish(), executor);
  }

  @Override
  public String id() {
    return request.id();
  }

  @Override
  public CompletableFuture<ExecResult> result() {
    return result;
  }

  /**
   * Cancels the step: SIGTERM to srun, which makes Slurm kill the task and end the step (srun
   * exits within milliseconds), then SIGKILL after {@link #KILL_GRACE} if srun still runs. The
   * result then completes normally with srun's exit code and the output tails, but no outputs;
   * the allocation stays up. Idempotent; returns at once.
   */
  @Override
  public void kill() {
    if (!killed.compareAndSet(false, true) || result.isDone()) {
      return;
    }
    srun.destroy();
    try {
      timer.schedule(() -> {
        if (srun.isAlive()) {
          srun.destroyForcibly();
        }
      }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The cluster is closed and its timer stopped: srun gets no second signal, but the job is
      // cancelled by then, which ends the step and srun with it.
      LOG.log(Level.DEBUG, () -> "exec " + request.id() + ": no forced kill after close", e);
    }
  }

  /** Completes once srun has ended and the sandbox is gone (or could not be deleted). */
  CompletableFuture<Void> ended() {
    return ended;
  }

  /** Returns srun's process, for tests. */
  ProcessHandle srun() {
    return srun.toHandle();
  }

  private void finish() {
    CompletableFuture.allOf(stdout.drained(), stderr.drained())
        .completeOnTimeout(null, TAIL_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync((v, e) -> complete(), executor);
  }

  private void complete() {
    try {
      int code = srun.exitValue();
      String err = stderr.text();
      if (killed.get()) {
        deleteSandbox();
        result.complete(new ExecResult(code, stdout.text(), err, Fileset.empty()));
        return;
      }
      // srun's exit code is unreliable when a node fails (0 as often as 143): trust it only if
      // the allocation still runs.
      String lost = null;
      SlurmCli.JobState state = cli.state(alloc.jobId());
      if (state instanceof SlurmCli.JobState.Gone gone) {
        lost = gone.why();
      } else if (err.contains("Node failure")) {
        lost = "srun reported a node failure";
      } else if (state instanceof SlurmCli.JobState.Unknown unknown) {
        LOG.log(Level.WARNING, "exec " + request.id() + " on alloc " + alloc.id()
            + ": cannot check the allocation after the step ended; trusting exit code " + code
            + ": " + unknown.why());
      }
      if (lost != null) {
        alloc.lost(lost);
        deleteSandbox();
        result.completeExceptionally(new AllocLostException("alloc " + alloc.id() + " is lost ("
            + lost + "); exec " + request.id() + " ended with it (srun exit code " + code + ")"));
        return;
      }
      ExecResult r;
      try {
        r = new ExecResult(code, stdout.text(), err, Sandbox.collectOutputs(sandbox, repository));
      } catch (IOException | RuntimeException e) {
        deleteSandbox();
        result.completeExceptionally(new IllegalStateException("exec " + request.id()
            + " on alloc " + alloc.id() + ": collecting its outputs from " + Sandbox.OUT
            + "/ failed: " + e.getMessage(), e));
        return;
      }
      deleteSandbox();
      result.complete(r);
    } catch (RuntimeException | Error e) {
      result.completeExceptionally(e);
      throw e;
    } finally {
      ended.complete(null);
    }
  }

  private void deleteSandbox() {
    try {
      Sandbox.delete(sandbox);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "exec " + request.id() + " on alloc " + alloc.id()
          + ": could not delete its sandbox " + sandbox + "; the alloc's free() will retry", e);
    }
  }

  @Override
  public String toString() {
    return "slurm exec " + request.id() + " (" + request.name() + ") on alloc " + alloc.id();
  }
}
