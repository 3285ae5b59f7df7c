package org.stowage.scheduler;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Why a task ended DONE without success. {@link Task#error()} returns it, and
 * {@link Task#await(State)} futures complete exceptionally with it.
 *
 * <p>Thread-safety: immutable once thrown.
 */
public final class TaskException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The kinds of task failure. */
  public enum Kind {
    /** The cluster can never provide an alloc large enough for the task. */
    UNSATISFIABLE,
    /** The command exited non-zero, or its exec failed, on every allowed attempt. */
    FAILED,
    /** The task's alloc died under it more times than allowed. */
    LOST,
    /** {@link Task#cancel()} was called. */
    CANCELLED,
    /** The task ran longer than its timeout and was killed. */
    TIMED_OUT,
    /** The scheduler was closed before the task finished. */
    CLOSED,
    /** An input object does not exist in the task's repository. */
    NOT_FOUND,
    /** An input or output object did not match its digest. */
    CORRUPT,
    /** A repository stayed unavailable past the retry bound. */
    UNAVAILABLE
  }

  /** The kind of failure, serialized with the exception. */
  private final Kind kind;
  private final transient @Nullable ExecResult result;

  /**
   * Creates an exception of {@code kind} with a message naming the task.
   *
   * @param kind what went wrong
   * @param message names the task and says what happened
   */
  public TaskException(Kind kind, String message) {
    this(kind, message, null, null);
  }

  /**
   * Creates an exception of {@code kind} with a message naming the task, the exec result of the
   * last attempt if there was one, and a cause.
   *
   * @param kind what went wrong
   * @param message names the task and says what happened
   * @param result the last attempt's exec result, or null
   * @param cause the underlying failure, or null
   */
  public TaskException(
      Kind kind, String message, @Nullable ExecResult result, @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.result = result;
  }

  /**
   * Returns the kind of failure.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns the last attempt's exec result (exit code, output tails), if it ran to the end.
   *
   * @return the exec result, or null
   */
  public @Nullable ExecResult result() {
    return result;
  }
}
