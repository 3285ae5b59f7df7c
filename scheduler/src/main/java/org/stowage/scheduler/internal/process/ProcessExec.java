package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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

/**
 * An exec run as one OS process in its own sandbox directory: what the cluster backends (local,
 * Slurm) share. Not API.
 *
 * <p>Life: a backend {@linkplain #launch lays out the sandbox and starts the process}, constructs
 * its exec around it and calls {@link #watch()}. Two threads of the executor then keep the tails
 * of the process's standard output and error ({@link #TAIL_BYTES} of each). When the process ends,
 * a thread of the executor runs {@link #settle()} (by default: wait up to {@link #TAIL_WAIT} for
 * the tails), then completes the exec: it collects {@code out/} into the alloc's repository
 * unless the exec was {@linkplain #stop stopped} or its alloc was found lost, deletes the sandbox
 * and only then completes {@link #result()}, so that whoever sees the result can rely on the
 * sandbox being removed. {@link #ended()} completes after the result, whatever happened.
 *
 * <p>A backend supplies how to stop the process ({@link #terminate()}) and may check for a lost
 * alloc when the process ended ({@link #lostWhenEnded()}) or when it was stopped
 * ({@link #lostWhenStopped}).
 *
 * <p>Thread-safety: thread-safe. Stops ({@link #kill()}, or a backend's own through
 * {@link #stop}) may race with the end of the process and with each other; the first stop wins,
 * and the result completes once. {@link #terminate()} runs on the thread that stops the exec;
 * {@link #settle()}, {@link #lostWhenEnded()} and {@link #lostWhenStopped} run on threads of the
 * executor, one after another, once the process ended.
 */
public abstract class ProcessExec implements Exec {

  /** How much of standard output and of standard error an exec keeps: the last 64 KiB of each. */
  public static final int TAIL_BYTES = 64 * 1024;

  /** How long the output tails may lag behind the end of the process before they are read. */
  protected static final Duration TAIL_WAIT = Duration.ofSeconds(2);

  /** Why an exec was stopped before it ended by itself: killed, or lost with its alloc. */
  protected record Stop(boolean lost, String why) {}

  /** The subclass's logger, so that messages carry the backend's class name. */
  protected final System.Logger log = System.getLogger(getClass().getName());

  private final String backend;
  private final ExecRequest request;
  private final String allocId;
  private final Path sandbox;
  private final FileRepository repository;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final Process process;
  private final OutputTail stdout = new OutputTail(TAIL_BYTES);
  private final OutputTail stderr = new OutputTail(TAIL_BYTES);
  private final AtomicReference<@Nullable Stop> stop = new AtomicReference<>();
  private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  /**
   * Wraps a process that {@link #launch} started; call {@link #watch()} once the subclass is
   * constructed.
   *
   * @param backend the backend's name for {@link #toString()}, such as {@code local}
   * @param request what the exec runs
   * @param allocId the id of the alloc it runs on
   * @param sandbox its working directory
   * @param repository the alloc's repository, which the outputs are collected into
   * @param executor runs the exec's work
   * @param timer runs delayed work such as a forced kill
   * @param process the process {@link #launch} started
   */
  protected ProcessExec(String backend, ExecRequest request, String allocId, Path sandbox,
      FileRepository repository, Executor executor, ScheduledExecutorService timer,
      Process process) {
    this.backend = backend;
    this.request = request;
    this.allocId = allocId;
    this.sandbox = sandbox;
    this.repository = repository;
    this.executor = executor;
    this.timer = timer;
    this.process = process;
  }

  /** Makes the builder of an exec's process, once its sandbox exists. */
  @FunctionalInterface
  protected interface Builder {
    /**
     * Returns the builder; its directory and environment are set after.
     *
     * @return the process builder
     * @throws IOException if the process cannot be started, for example its program is missing
     */
    ProcessBuilder get() throws IOException;
  }

  /**
   * Lays out {@code sandbox} with the request's inputs and starts a process in it: the builder
   * comes from {@code builder} once the sandbox exists, runs in the sandbox, and gets the request's
   * environment and then {@code environment} (which the request cannot override).
   *
   * @param request what to run
   * @param allocId the id of the alloc it runs on, for messages
   * @param sandbox the working directory to create
   * @param repository the alloc's repository, which holds the inputs' objects
   * @param program what is started, for the message when it cannot be
   * @param builder makes the process builder
   * @param environment variables set after the request's
   * @return the started process
   * @throws java.io.UncheckedIOException if the sandbox cannot be laid out or the process cannot
   *     be started
   * @throws RuntimeException as {@link Sandbox#create} throws it; in every case the sandbox is
   *     then removed
   */
  protected static Process launch(ExecRequest request, String allocId, Path sandbox,
      FileRepository repository, String program, Builder builder,
      Map<String, String> environment) {
    try {
      Sandbox.create(sandbox, request.inputs(), repository);
      ProcessBuilder b = builder.get().directory(sandbox.toFile());
      b.environment().putAll(request.config().environment());
      b.environment().putAll(environment);
      return b.start();
    } catch (IOException | RuntimeException e) {
      try {
        Sandbox.delete(sandbox);
      } catch (IOException | RuntimeException x) {
        e.addSuppressed(x);
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("exec " + request.id() + " on alloc " + allocId
            + " could not start " + program + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Closes the process's standard input, drains its output and completes the exec at its end. */
  protected final void watch() {
    try {
      process.getOutputStream().close(); // the command reads no input: it sees end of file at once
    } catch (IOException e) {
      log.log(Level.DEBUG, () -> "exec " + request.id() + ": closing its standard input failed", e);
    }
    executor.execute(() -> stdout.drain(process.getInputStream()));
    executor.execute(() -> stderr.drain(process.getErrorStream()));
    process.onExit().whenCompleteAsync((p, e) -> settle()
        .whenCompleteAsync((v, x) -> complete(), executor), executor);
  }

  @Override
  public final String id() {
    return request.id();
  }

  @Override
  public final CompletableFuture<ExecResult> result() {
    return result;
  }

  /**
   * Stops the process (see the backend's {@link #terminate()}); the result then completes with
   * the exit code the killed process reports and the output tails, but no outputs. Idempotent;
   * returns at once.
   */
  @Override
  public final void kill() {
    if (stop(false, "killed")) {
      terminate();
    }
  }

  /**
   * Completes once the exec's process has ended and its sandbox is gone (or could not be).
   *
   * @return the future of the end
   */
  public final CompletableFuture<Void> ended() {
    return ended;
  }

  /**
   * Returns the exec's working directory; it exists only while the exec runs.
   *
   * @return the sandbox directory
   */
  public final Path sandbox() {
    return sandbox;
  }

  /**
   * Records the first stop: {@code lost} if the exec is stopped because its alloc is lost,
   * {@code why} in words. Returns true if this is the first stop and the result is not done, that
   * is, if the caller should now {@linkplain #terminate() stop the process}.
   *
   * @param lost whether the alloc is lost
   * @param why the reason, in words
   * @return whether the caller should stop the process
   */
  protected final boolean stop(boolean lost, String why) {
    return stop.compareAndSet(null, new Stop(lost, why)) && !result.isDone();
  }

  /** Stops the process, once, after the first stop; must return at once. */
  protected abstract void terminate();

  /**
   * Runs on a thread of the executor once the process ended; the exec completes when the returned
   * future does. By default, waits up to {@link #TAIL_WAIT} for the output tails.
   *
   * @return a future the exec's completion waits for
   */
  protected CompletableFuture<?> settle() {
    return tailsDrained();
  }

  /**
   * Completes when both tails are drained, or after {@link #TAIL_WAIT}.
   *
   * @return the future of both tails drained
   */
  protected final CompletableFuture<Void> tailsDrained() {
    return CompletableFuture.allOf(stdout.drained(), stderr.drained())
        .completeOnTimeout(null, TAIL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Called when the process ended and the exec was not stopped, before outputs are collected:
   * returns the exception to complete the result with if the alloc was lost, in which case no
   * outputs are collected. By default, null.
   *
   * @return the exception if the alloc was lost, else null
   */
  protected @Nullable AllocLostException lostWhenEnded() {
    return null;
  }

  /**
   * Called after the sandbox was deleted, if the exec was stopped (perhaps while its outputs were
   * being collected): returns the exception to complete the result with instead, if {@code why}
   * says the alloc was lost. By default, null.
   *
   * @param why the first stop
   * @return the exception if the alloc was lost, else null
   */
  protected @Nullable AllocLostException lostWhenStopped(Stop why) {
    return null;
  }

  /**
   * Returns the request the exec runs.
   *
   * @return the request
   */
  protected final ExecRequest request() {
    return request;
  }

  /**
   * Returns the id of the alloc the exec runs on.
   *
   * @return the alloc's id
   */
  protected final String allocId() {
    return allocId;
  }

  /**
   * Returns the process.
   *
   * @return the process
   */
  protected final Process process() {
    return process;
  }

  /**
   * Returns the executor that runs the exec's work.
   *
   * @return the executor
   */
  protected final Executor executor() {
    return executor;
  }

  /**
   * Returns the timer for delayed work such as a forced kill.
   *
   * @return the timer
   */
  protected final ScheduledExecutorService timer() {
    return timer;
  }

  /**
   * Returns the standard error kept so far.
   *
   * @return the tail of standard error
   */
  protected final String stderrText() {
    return stderr.text();
  }

  private void complete() {
    try {
      boolean stopped = stop.get() != null;
      @Nullable AllocLostException lost = stopped ? null : lostWhenEnded();
      @Nullable ExecResult r = null;
      @Nullable Throwable failure = null;
      if (lost == null) {
        try {
          Fileset outputs = stopped ? Fileset.empty() : Sandbox.collectOutputs(sandbox, repository);
          r = new ExecResult(process.exitValue(), stdout.text(), stderr.text(), outputs);
        } catch (IOException | RuntimeException e) {
          failure = new IllegalStateException("exec " + request.id() + " on alloc " + allocId
              + ": collecting its outputs from " + Sandbox.OUT + "/ failed: " + e.getMessage(), e);
        }
      }
      deleteSandbox();
      Stop why = stop.get();
      if (lost == null && why != null) {
        lost = lostWhenStopped(why);
      }
      if (lost != null) {
        result.completeExceptionally(lost);
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

  private void deleteSandbox() {
    try {
      Sandbox.delete(sandbox);
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "exec " + request.id() + " on alloc " + allocId
          + ": could not delete its sandbox " + sandbox + "; the alloc's free() will retry", e);
    }
  }

  @Override
  public String toString() {
    return backend + " exec " + request.id() + " (" + request.name() + ") on alloc " + allocId;
  }
}
