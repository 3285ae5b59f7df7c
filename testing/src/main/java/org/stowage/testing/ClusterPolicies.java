package org.stowage.testing;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.TimeSource;

/**
 * How a {@link FakeCluster} answers: each allocation request as its alloc policy says, with the
 * allocs it sizes itself sized by its sizing policy (the largest alloc, the menu, or else the
 * request's {@code max()}); each exec as its exec policy says, on its time source; and each
 * keepalive with its interval. {@link #of} makes them from the builder's options, with the
 * defaults for those not set. Not API.
 *
 * <p>Thread-safety: immutable; the policies are thread-safe by their contracts.
 */
final class ClusterPolicies {

  /** The defaults of the options, in one place; the builder's setters' Javadoc says the same. */
  private static final class Defaults {
    static final AllocPolicy ALLOC_POLICY = AllocPolicy.byHand();
    /** Grants what the request asks for at most: its {@code max()}. */
    static final AllocPolicy SIZING = request -> AllocAnswer.grant(request.requirements().max());
    static final ExecPolicy EXEC_POLICY = ExecPolicy.byHand();
    static final Duration KEEPALIVE_INTERVAL = Duration.ofMillis(100);

    private Defaults() {}
  }

  private final AllocPolicy policy;
  private final AllocPolicy sizing;
  private final ExecPolicy execPolicy;
  private final Duration keepaliveInterval;
  private final TimeSource time;

  private ClusterPolicies(AllocPolicy policy, AllocPolicy sizing, ExecPolicy execPolicy,
      Duration keepaliveInterval, TimeSource time) {
    this.policy = policy;
    this.sizing = sizing;
    this.execPolicy = execPolicy;
    this.keepaliveInterval = keepaliveInterval;
    this.time = time;
  }

  /**
   * Makes the policies of a {@link FakeCluster.Builder}'s options, which its {@code build()} has
   * checked do not contradict each other; an option not set (null) takes its default.
   */
  static ClusterPolicies of(@Nullable Resources maxAlloc, @Nullable List<Resources> menu,
      boolean automatic, @Nullable AllocPolicy allocPolicy, @Nullable Integer quota,
      @Nullable Duration execDuration, @Nullable ExecPolicy execPolicy,
      @Nullable Duration keepaliveInterval, @Nullable TimeSource time) {
    AllocPolicy sizing = maxAlloc != null ? AllocPolicy.maxAlloc(maxAlloc)
        : menu != null ? new MenuPolicy(menu) : Defaults.SIZING;
    AllocPolicy policy = allocPolicy != null ? allocPolicy
        : automatic ? AllocPolicy.grantAll() : Defaults.ALLOC_POLICY;
    if (quota != null) {
      policy = AllocPolicy.quota(quota, policy);
    }
    return new ClusterPolicies(policy, sizing,
        execPolicy != null ? execPolicy
            : execDuration != null ? ExecPolicy.succeedAfter(execDuration) : Defaults.EXEC_POLICY,
        keepaliveInterval != null ? keepaliveInterval : Defaults.KEEPALIVE_INTERVAL,
        time != null ? time : TimeSource.system());
  }

  /**
   * Answers {@code r} as the alloc policy says: grants it, fails it, or leaves it to the test. An
   * exception the policy throws fails the request with it.
   *
   * @return true if the request is left to the test
   */
  boolean answer(FakeCluster.Request r) {
    AllocAnswer answer;
    try {
      answer = Objects.requireNonNull(policy.answer(r), "the alloc policy answered null");
    } catch (RuntimeException e) {
      r.fail(e);
      return false;
    }
    switch (answer.kind()) {
      case BY_HAND -> {
        return true;
      }
      case REFUSE -> r.fail(answer.refusal());
      case GRANT -> {
        Resources shape = answer.shape();
        if (shape != null) {
          r.grant(shape);
        } else {
          try {
            r.grant();
          } catch (AllocationException e) {
            // grant() failed the request's future with it; the caller sees it there
          }
        }
      }
      default -> throw new AssertionError(answer);
    }
    return false;
  }

  /** Says never to needs the sizing policy refuses; otherwise what the alloc policy says. */
  Admission admission(Resources resources) {
    Admission shaped = sizing.admission(resources);
    return shaped.possible() ? policy.admission(resources) : shaped;
  }

  /** Sizes the allocs the cluster sizes itself ({@link FakeCluster.Request#grant()}). */
  AllocPolicy sizing() {
    return sizing;
  }

  ExecPolicy execPolicy() {
    return execPolicy;
  }

  Duration keepaliveInterval() {
    return keepaliveInterval;
  }

  TimeSource timeSource() {
    return time;
  }
}
