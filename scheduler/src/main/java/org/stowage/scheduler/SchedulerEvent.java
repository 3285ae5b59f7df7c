package org.stowage.scheduler;

import java.util.Objects;

/**
 * Something that happened in a {@link Scheduler}, delivered to its
 * {@linkplain Scheduler#subscribe subscribers} in the order it happened.
 *
 * <p>Thread-safety: immutable.
 */
public sealed interface SchedulerEvent {

  /**
   * A task's status changed.
   *
   * @param task the task
   * @param status its new status
   */
  record TaskChanged(Task task, TaskStatus status) implements SchedulerEvent {
    /**
     * Validates the fields.
     *
     * @param task the task
     * @param status its new status
     */
    public TaskChanged {
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * An alloc came up and takes tasks.
   *
   * @param allocId the alloc's id
   * @param resources its capacity
   */
  record AllocUp(String allocId, Resources resources) implements SchedulerEvent {
    /**
     * Validates the fields.
     *
     * @param allocId the alloc's id
     * @param resources its capacity
     */
    public AllocUp {
      Objects.requireNonNull(allocId, "allocId");
      Objects.requireNonNull(resources, "resources");
    }
  }

  /**
   * An alloc left the scheduler: freed because it sat idle, dead (its keepalive failed), or freed
   * when the scheduler closed.
   *
   * @param allocId the alloc's id
   * @param reason why, in words
   * @param dead true if the alloc died rather than being freed
   */
  record AllocDown(String allocId, String reason, boolean dead) implements SchedulerEvent {
    /**
     * Validates the fields.
     *
     * @param allocId the alloc's id
     * @param reason why, in words
     * @param dead true if the alloc died rather than being freed
     */
    public AllocDown {
      Objects.requireNonNull(allocId, "allocId");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * The scheduler has closed: every task is DONE and every alloc freed. The last event; a
   * subscriber that comes after the close gets it at once.
   *
   * @param scheduler the scheduler's name
   */
  record Closed(String scheduler) implements SchedulerEvent {
    /**
     * Validates the fields.
     *
     * @param scheduler the scheduler's name
     */
    public Closed {
      Objects.requireNonNull(scheduler, "scheduler");
    }
  }

  /**
   * The cluster refused an allocation request.
   *
   * @param requirements what was asked for
   * @param reason the cluster's answer
   * @param never true if the cluster said it can never allocate that
   */
  record AllocRefused(Requirements requirements, String reason, boolean never)
      implements SchedulerEvent {
    /**
     * Validates the fields.
     *
     * @param requirements what was asked for
     * @param reason the cluster's answer
     * @param never true if the cluster said it can never allocate that
     */
    public AllocRefused {
      Objects.requireNonNull(requirements, "requirements");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
