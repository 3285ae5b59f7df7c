package org.stowage.scheduler;

import java.util.Objects;

/**
 * Why a {@link Cluster} could not allocate: now (try again later) or never.
 *
 * <p>Thread-safety: immutable once thrown.
 */
public final class AllocationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Whether the failure may pass. */
  public enum Kind {
    /**
     * Quota, capacity or rate limit: the scheduler backs off exponentially and asks again; the
     * tasks stay queued.
     */
    NOT_NOW,
    /**
     * The cluster cannot ever give an alloc of that size: the scheduler stops asking for that
     * size and fails the tasks that need it.
     */
    NEVER
  }

  /** Whether the failure may pass, serialized with the exception. */
  private final Kind kind;

  /**
   * Creates an exception of {@code kind} with a message saying what was refused and why.
   *
   * @param kind whether the failure may pass
   * @param message what was refused and why
   */
  public AllocationException(Kind kind, String message) {
    this(kind, message, null);
  }

  /**
   * Creates an exception of {@code kind} with a message and a cause.
   *
   * @param kind whether the failure may pass
   * @param message what was refused and why
   * @param cause the underlying failure, or null
   */
  public AllocationException(Kind kind, String message, @org.jspecify.annotations.Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /**
   * Returns whether the failure may pass.
   *
   * @return {@link Kind#NOT_NOW} or {@link Kind#NEVER}
   */
  public Kind kind() {
    return kind;
  }
}
