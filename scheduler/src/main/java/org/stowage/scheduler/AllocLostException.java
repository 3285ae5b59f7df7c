package org.stowage.scheduler;

/**
 * Thrown or returned by an {@link Alloc} or {@link Exec} when the alloc is gone: its tasks are
 * LOST and run again on another alloc.
 *
 * <p>Thread-safety: immutable once thrown.
 */
public final class AllocLostException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message naming the alloc and what happened to it.
   *
   * @param message names the alloc and says what happened to it
   */
  public AllocLostException(String message) {
    super(java.util.Objects.requireNonNull(message, "message"));
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message names the alloc and says what happened to it
   * @param cause the underlying failure
   */
  public AllocLostException(String message, Throwable cause) {
    super(java.util.Objects.requireNonNull(message, "message"), cause);
  }
}
