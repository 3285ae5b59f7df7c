package org.stowage.scheduler.internal;

import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TimeSource;

/**
 * One try of a task on an alloc. Not API.
 *
 * <p>Concurrency: owned by the engine's thread.
 */
final class Attempt {
  final TaskRecord task;
  final LiveAlloc alloc;
  /** The attempt's id, as the task's status had it when the attempt began. */
  final String id;
  @Nullable Exec exec;
  /** Why the attempt is being stopped (cancel, timeout, close), once it is. */
  @Nullable TaskException stop;
  /** Set once the exec succeeded and its outputs are being copied to the task's repository. */
  boolean uploading;
  /** Set once a kill has been sent and the kill timeout started. */
  boolean killTimerArmed;
  TimeSource.Cancellable timeoutTimer = () -> { };

  Attempt(TaskRecord task, LiveAlloc alloc) {
    this.task = task;
    this.alloc = alloc;
    this.id = task.current.id();
  }

  @Override
  public String toString() {
    return "attempt " + id + " on alloc " + alloc.id;
  }
}
