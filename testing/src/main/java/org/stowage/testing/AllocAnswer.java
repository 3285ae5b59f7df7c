package org.stowage.testing;

import static org.stowage.scheduler.internal.Checks.requireNotBlank;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Resources;

/**
 * How a {@link FakeCluster} answers one allocation request, as an {@link AllocPolicy} decides:
 * grant an alloc, refuse the request for now or for good, or leave it for the test to answer by
 * hand.
 *
 * <p>Thread-safety: immutable.
 */
public final class AllocAnswer {

  /** What the answer does. */
  enum Kind {
    /** Grant an alloc of {@link #shape()}, or sized by the cluster if that is null. */
    GRANT,
    /** Fail the request with an {@link AllocationException} of {@link #refusal()}. */
    REFUSE,
    /** Queue the request for {@link FakeCluster#takeRequest}. */
    BY_HAND
  }

  private static final AllocAnswer SIZED = new AllocAnswer(Kind.GRANT, null, null, "");
  private static final AllocAnswer BY_HAND = new AllocAnswer(Kind.BY_HAND, null, null, "");

  private final Kind kind;
  private final @Nullable Resources shape;
  private final AllocationException.@Nullable Kind refusal;
  private final String message;

  private AllocAnswer(Kind kind, @Nullable Resources shape,
      AllocationException.@Nullable Kind refusal, String message) {
    this.kind = kind;
    this.shape = shape;
    this.refusal = refusal;
    this.message = message;
  }

  /**
   * Grants an alloc sized by the cluster, as {@link FakeCluster.Request#grant()} does: the
   * request's {@link org.stowage.scheduler.Requirements#max()}, capped at the cluster's
   * {@linkplain FakeCluster.Builder#maxAlloc largest alloc} or picked from its
   * {@linkplain FakeCluster.Builder#menu menu}. A request that no alloc of the cluster can hold is
   * refused {@link AllocationException.Kind#NEVER} instead.
   *
   * @return the answer
   */
  public static AllocAnswer grant() {
    return SIZED;
  }

  /**
   * Grants an alloc of exactly {@code shape}, whatever the request asked for.
   *
   * @param shape the alloc's capacity
   * @return the answer
   */
  public static AllocAnswer grant(Resources shape) {
    return new AllocAnswer(Kind.GRANT, Objects.requireNonNull(shape, "shape"), null, "");
  }

  /**
   * Refuses the request for now ({@link AllocationException.Kind#NOT_NOW}): the scheduler backs
   * off and asks again.
   *
   * @param why the exception's message, saying what was refused and why; not blank
   * @return the answer
   */
  public static AllocAnswer notNow(String why) {
    return new AllocAnswer(Kind.REFUSE, null, AllocationException.Kind.NOT_NOW,
        requireNotBlank(why, "why"));
  }

  /**
   * Refuses the request for good ({@link AllocationException.Kind#NEVER}): the scheduler stops
   * asking for that size and fails the tasks that need it.
   *
   * @param why the exception's message, saying what was refused and why; not blank
   * @return the answer
   */
  public static AllocAnswer never(String why) {
    return new AllocAnswer(Kind.REFUSE, null, AllocationException.Kind.NEVER,
        requireNotBlank(why, "why"));
  }

  /**
   * Leaves the request for the test: it waits, unanswered, until the test takes it with
   * {@link FakeCluster#takeRequest} or {@link FakeCluster#pollRequest} and answers it.
   *
   * @return the answer
   */
  public static AllocAnswer byHand() {
    return BY_HAND;
  }

  Kind kind() {
    return kind;
  }

  @Nullable Resources shape() {
    return shape;
  }

  /** Returns the exception a refusal fails the request with. */
  AllocationException refusal() {
    return new AllocationException(Objects.requireNonNull(refusal), message);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case GRANT -> shape == null ? "grant sized by the cluster" : "grant " + shape;
      case REFUSE -> "refuse " + refusal + ": " + message;
      case BY_HAND -> "by hand";
    };
  }
}
