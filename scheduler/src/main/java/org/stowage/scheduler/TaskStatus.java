package org.stowage.scheduler;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A consistent snapshot of a task's progress. The scheduler replaces a task's status as a whole,
 * so the fields of one snapshot always agree with each other.
 *
 * <p>Thread-safety: immutable.
 *
 * @param state the current state
 * @param attempt the current attempt, from 0; grows by one each time the task is LOST or fails and
 *     is queued again
 * @param id the current attempt's id, {@code <task key>.<attempt>}
 * @param allocId the alloc the attempt is placed on, while STAGING or RUNNING (and LOST)
 * @param waiting why the task is still waiting, while INIT after submission
 * @param result the exec result, when DONE successfully
 * @param error why the task failed, when DONE without success
 * @param sinceNanos when the task entered this state, on the scheduler's {@link TimeSource}
 */
public record TaskStatus(
    State state,
    int attempt,
    String id,
    @Nullable String allocId,
    @Nullable WaitReason waiting,
    @Nullable ExecResult result,
    @Nullable TaskException error,
    long sinceNanos) {

  /**
   * Validates the fields.
   *
   * @param state the current state
   * @param attempt the current attempt, from 0; grows by one each time the task is LOST or fails
   *     and is queued again
   * @param id the current attempt's id, {@code <task key>.<attempt>}
   * @param allocId the alloc the attempt is placed on, while STAGING or RUNNING (and LOST)
   * @param waiting why the task is still waiting, while INIT after submission
   * @param result the exec result, when DONE successfully
   * @param error why the task failed, when DONE without success
   * @param sinceNanos when the task entered this state, on the scheduler's {@link TimeSource}
   */
  public TaskStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(id, "id");
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must be >= 0 but was " + attempt);
    }
  }

  /**
   * Returns true if the task is DONE with a result.
   *
   * @return whether the task succeeded
   */
  public boolean succeeded() {
    return state == State.DONE && error == null;
  }
}
