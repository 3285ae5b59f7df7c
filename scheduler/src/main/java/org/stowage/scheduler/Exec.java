package org.stowage.scheduler;

import java.util.concurrent.CompletableFuture;

/**
 * One running attempt of a task on an {@link Alloc} (service provider interface).
 *
 * <p>Thread-safety: implementations must be thread-safe; the scheduler calls them from its I/O
 * executor and may call {@link #kill()} while the result is being produced.
 */
public interface Exec {

  /**
   * Returns the exec's id, the {@link ExecRequest#id()} it was started with.
   *
   * @return the exec's id
   */
  String id();

  /**
   * Returns the exec's outcome. The future completes once: normally with the {@link ExecResult}
   * when the command ended (whatever its exit code), or exceptionally when the exec could not
   * finish: with {@link AllocLostException} if the alloc is gone (the task is then LOST and runs
   * again elsewhere), with any other exception for a failed attempt. Must return the same future
   * on every call. The scheduler never cancels it.
   *
   * @return the future of the exec's result
   */
  CompletableFuture<ExecResult> result();

  /**
   * Stops the exec and everything it started. Idempotent and non-blocking; after it,
   * {@link #result()} must complete promptly, because the scheduler waits for it before it gives
   * the task's resources back to the alloc. How it completes does not matter to the scheduler (the
   * task already has its reason to end: cancelled, timed out, closed, or its alloc died); by
   * convention a killed exec completes normally with the exit code its process got (137 after
   * SIGKILL, 143 after SIGTERM) and no outputs.
   */
  void kill();
}
