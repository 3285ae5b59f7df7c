package org.stowage.testing;

import static org.stowage.scheduler.internal.Checks.requireNotNegative;

import java.time.Duration;
import org.stowage.scheduler.ExecRequest;

/**
 * Decides how each exec a {@link FakeCluster}'s allocs start ends: its exit code, output and
 * output files, or a failure, at once or after a delay on the cluster's time source; or not by
 * itself, left for the test to end by hand. Set one with
 * {@link FakeCluster.Builder#execPolicy}; by default every exec waits for the test.
 *
 * <pre>{@code
 * FakeCluster cluster = FakeCluster.newBuilder().automatic().timeSource(time)
 *     .execPolicy(request -> request.name().startsWith("flaky")
 *         ? ExecAnswer.exit(1).stderr("segfault")
 *         : ExecAnswer.succeed().output("out.txt", request.config().command().toString())
 *             .after(Duration.ofMinutes(2)))
 *     .build();
 * }</pre>
 *
 * <p>Thread-safety: implementations must be thread-safe. {@link #answer} is called once per exec,
 * on the thread that calls {@link org.stowage.scheduler.Alloc#start} (one of the scheduler's I/O
 * threads, possibly several at once), and must not block.
 */
@FunctionalInterface
public interface ExecPolicy {

  /**
   * Answers one exec as it starts. An exception thrown here is thrown by
   * {@link org.stowage.scheduler.Alloc#start}: a failed attempt, and no exec is started.
   *
   * @param request what the scheduler asked to run: the attempt's id, the task's name, the command
   *     and environment, the resources and the inputs
   * @return how the exec ends; not null
   */
  ExecAnswer answer(ExecRequest request);

  /**
   * Returns the policy of a cluster built without an exec policy or duration: every exec runs until
   * the test ends it or the scheduler kills it.
   *
   * @return the policy
   */
  static ExecPolicy byHand() {
    return request -> ExecAnswer.byHand();
  }

  /**
   * Returns a policy under which every exec succeeds as soon as it starts, with exit code 0 and no
   * output.
   *
   * @return the policy
   */
  static ExecPolicy succeed() {
    return request -> ExecAnswer.succeed();
  }

  /**
   * Returns the policy that {@link FakeCluster.Builder#execDuration} sets: every exec succeeds by
   * itself {@code duration} after it starts (at once if zero), on the cluster's time source.
   *
   * @param duration how long each exec runs; not negative
   * @return the policy
   */
  static ExecPolicy succeedAfter(Duration duration) {
    requireNotNegative(duration, "exec duration");
    ExecAnswer answer = ExecAnswer.succeed().after(duration);
    return request -> answer;
  }
}
