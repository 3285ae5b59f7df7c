package org.stowage.scheduler.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.internal.OutputTail;
import org.stowage.scheduler.internal.Sandbox;

/**
 * One exec on a {@link LocalAlloc}: an OS process run in its own sandbox directory.
 *
 * <p>Life: {@link #start} lays out the sandbox and starts the process; two threads of the cluster
 * keep the tails of its standard output and error. When the process ends (by itself or killed),
 * a thread of the cluster kills whatever it left running (see {@link ProcessTree}), collects
 * {@code out/} into the alloc's repository unless the exec was stopped, deletes the sandbox and
 * only then completes {@link #result()}: whoever sees the result can rely on the processes being
 * gone and the sandbox removed.
 *
 * <p>Thread-safety: thread-safe. {@link #kill()} and {@link #lose} may race with the end of the
 * process and with each other; the first stop wins, and the result completes once.
 */
final class LocalExec implements Exec {

  private static final System.Logger LOG = System.getLogger(LocalExec.class.getName());

  /** How much of standard output and of standard error an exec keeps: the last 64 KiB of each. */
  static final int TAIL_BYTES = 64 * 1024;

  /** How long a process may take to end after a polite signal, before it is killed forcibly. */
  static final Duration KILL_GRACE = Duration.ofSeconds(1);

  /** How long the output tails may lag behind the end of every process before they are read. */
  private static final Duration TAIL_WAIT = Duration.ofSeconds(2);

  private final ExecRequest request;
  private final String allocId;
  private final Path sandbox;
  private final String marker;
  private final FileRepository repository;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final Process process;
  private final OutputTail stdout = new OutputTail(TAIL_BYTES);
  private final OutputTail stderr = new OutputTail(TAIL_BYTES);
  private final AtomicReference<@Nullable Stop> stop = new AtomicReference<>();
  private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  /** Why an exec was stopped before it ended by itself. */
  private record Stop(boolean lost, String why) {}

  private LocalExec(ExecRequest request, String allocId, Path sandbox, String marker,
      FileRepository repository, Executor executor, ScheduledExecutorService timer,
      Process process) {
    this.request = request;
    this.allocId = allocId;
    this.sandbox = sandbox;
    this.marker = marker;
    this.repository = repository;
    this.executor = executor;
    this.timer = timer;
    this.process = process;
  }

  /**
   * Lays out {@code sandbox} and starts the command in it.
   *
   * @param marker the value of {@value ProcessTree#MARKER} in the process's environment, unique
   *     to this exec
   * @throws RuntimeException if the sandbox cannot be laid out or the command cannot be started;
   *     the sandbox is then removed
   */
  static LocalExec start(ExecRequest request, String allocId, Path sandbox, String marker,
      FileRepository repository, Executor executor, ScheduledExecutorService timer) {
    Process process;
    try {
      Sandbox.create(sandbox, request.inputs(), repository);
      ProcessBuilder builder = new ProcessBuilder(request.config().command())
          .directory(sandbox.toFile());
      builder.environment().putAll(request.config().environment());
      builder.environment().put(ProcessTree.MARKER, marker);
      process = builder.start();
    } catch (IOException | RuntimeException e) {
      deleteQuietly(sandbox, e);
      if (e instanceof IOException io) {
        throw new UncheckedIOException("exec " + request.id() + " on alloc " + allocId
            + " could not start " + request.config().command() + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
    LocalExec exec = new LocalExec(request, allocId, sandbox, marker, repository, executor, timer,
        process);
    exec.watch();
    return exec;
  }

  private void watch() {
    try {
      process.getOutputStream().close(); // the command reads no input: it sees end of file at once
    } catch (IOException e) {
      LOG.log(Level.DEBUG, () -> "exec " + request.id() + ": closing its standard input failed", e);
    }
    executor.execute(() -> stdout.drain(process.getInputStream()));
    executor.execute(() -> stderr.drain(process.getErrorStream()));
    process.onExit().whenCompleteAsync((p, e) -> finish(), executor);
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
   * Kills the process and everything it started: a polite signal, then a forced kill after a
   * short grace. The result then completes with the exit code the killed process reports (128 plus
   * the signal's number for a shell) and the output tails, but no outputs. Idempotent; returns at
   * once.
   */
  @Override
  public void kill() {
    stop(new Stop(false, "killed"));
  }

  /**
   * Kills the exec as {@link #kill()} does, but its result completes exceptionally with an
   * {@link AllocLostException} saying {@code why}: its alloc is dead.
   */
  void lose(String why) {
    stop(new Stop(true, why));
  }

  /** Completes once every process of the exec has ended and its sandbox is gone. */
  CompletableFuture<Void> ended() {
    return ended;
  }

  /** Returns the exec's working directory; it exists only while the exec runs. */
  Path sandbox() {
    return sandbox;
  }

  private void stop(Stop why) {
    if (!stop.compareAndSet(null, why) || result.isDone()) {
      return;
    }
    executor.execute(() -> ProcessTree.kill(ProcessTree.find(process.toHandle(), marker + "\0"),
        KILL_GRACE, timer).thenAccept(this::warnSurvivors));
  }

  /** Runs once the process ended: kills what it left, collects outputs, cleans up, completes. */
  private void finish() {
    CompletableFuture<?> settled;
    try {
      // What the process left running would keep writing into the sandbox and hold the pipes.
      settled = ProcessTree.kill(ProcessTree.find(null, marker + "\0"), KILL_GRACE, timer)
          .thenCompose(survivors -> {
            warnSurvivors(survivors);
            return CompletableFuture.allOf(stdout.drained(), stderr.drained())
                .completeOnTimeout(null, TAIL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          });
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "exec " + request.id() + " on alloc " + allocId
          + ": looking for processes it left running failed", e);
      settled = CompletableFuture.completedFuture(null);
    }
    settled.whenCompleteAsync((v, e) -> complete(), executor);
  }

  private void complete() {
    try {
      Stop why = stop.get();
      @Nullable ExecResult r = null;
      @Nullable Throwable failure = null;
      try {
        Fileset outputs = why == null
            ? Sandbox.collectOutputs(sandbox, repository) : Fileset.empty();
        r = new ExecResult(process.exitValue(), stdout.text(), stderr.text(), outputs);
      } catch (IOException | RuntimeException e) {
        failure = new IllegalStateException("exec " + request.id() + " on alloc " + allocId
            + ": collecting its outputs from " + Sandbox.OUT + "/ failed: " + e.getMessage(), e);
      }
      try {
        Sandbox.delete(sandbox);
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.WARNING, "exec " + request.id() + " on alloc " + allocId
            + ": could not delete its sandbox " + sandbox + "; the alloc's free() will retry", e);
      }
      why = stop.get();
      if (why != null && why.lost()) {
        result.completeExceptionally(new AllocLostException("alloc " + allocId + " is dead ("
            + why.why() + "); exec " + request.id() + " was killed with it"));
      } else if (r == null) {
        result.completeExceptionally(failure != null ? failure
            : new IllegalStateException("exec " + request.id() + " ended without a result"));
      } else {
        result.complete(r);
      }
    } catch (RuntimeException | Error e) {
      result.completeExceptionally(e);
      throw e;
    } finally {
      ended.complete(null);
    }
  }

  private void warnSurvivors(List<ProcessHandle> survivors) {
    if (!survivors.isEmpty()) {
      LOG.log(Level.WARNING, "exec " + request.id() + " on alloc " + allocId + ": processes "
          + survivors + " did not end after a forced kill");
    }
  }

  private static void deleteQuietly(Path dir, Throwable failure) {
    try {
      Sandbox.delete(dir);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  @Override
  public String toString() {
    return "local exec " + request.id() + " (" + request.name() + ") on alloc " + allocId;
  }
}
