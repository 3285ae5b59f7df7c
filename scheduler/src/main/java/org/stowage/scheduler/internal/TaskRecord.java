package org.stowage.scheduler.internal;

import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskStatus;

/**
 * The engine's record of a submitted {@link Task}: its bookkeeping, and the hooks through which it
 * claims the task and publishes each new status. What users see of the task (its published status,
 * waiters and listeners) lives on the API side, behind those hooks, so the task knows nothing of
 * the engine. Not API.
 *
 * <p>Concurrency: the fields marked "engine-owned" are touched only by the owning engine's thread.
 * {@code claim} and {@code unclaim} are for the submitting thread; the hooks are thread-safe and
 * never block.
 */
public final class TaskRecord {

  final Task task;
  private final BiFunction<Runnable, Executor, @Nullable String> claim;
  private final Runnable unclaim;
  private final BiConsumer<TaskStatus, Executor> publish;

  // engine-owned
  /** The status as the engine knows it; the published one catches up at the end of each batch. */
  TaskStatus current;
  double[] need = new double[0];
  double size;
  long queuedSince;
  int lostCount;
  int failedCount;
  boolean cancelRequested;
  /** The group that holds the task while it waits in a {@link WaitingIndex}; else null. */
  WaitingIndex.@Nullable Group waitingIn;
  /** The group whose queue still holds the task though it was removed from it; else null. */
  WaitingIndex.@Nullable Group staleIn;
  /** The request in flight the waiting task counts on, if any (see {@code TaskQueue}). */
  @Nullable PendingAlloc nominee;
  /** Set when the task joins the queue (see {@code TaskQueue}), 0 while it is not queued. */
  long queueTicket;
  /** The task's attempt on an alloc, while it has one. */
  @Nullable Attempt attempt;

  /**
   * Creates the record of a task about to be submitted, with hooks to what users see of it.
   *
   * @param task the task it records
   * @param claim makes an engine the owner of the task, once: it takes what asks that engine to
   *     cancel the task, which a cancel runs from then on, and the engine's callback executor,
   *     which delivers to new listeners from then on; it returns null, or why the task cannot be
   *     submitted (it was already submitted, here or elsewhere, or is already done)
   * @param unclaim undoes a successful {@code claim} when a submission is refused as a whole
   * @param publish replaces the status users see at once, and has the executor deliver it to the
   *     task's waiters and listeners, after those of every earlier status
   */
  public TaskRecord(Task task, BiFunction<Runnable, Executor, @Nullable String> claim,
      Runnable unclaim, BiConsumer<TaskStatus, Executor> publish) {
    this.task = task;
    this.claim = claim;
    this.unclaim = unclaim;
    this.publish = publish;
    // A claim succeeds only if nothing has changed it since: it is the task's first status.
    this.current = task.status();
  }

  /**
   * Makes {@code engine} the owner: a cancel of the task asks it, and its callback executor
   * delivers from now on.
   *
   * @return null on success, else why the task cannot be submitted
   */
  @Nullable String claim(Engine engine, Executor engineCallbacks) {
    return claim.apply(() -> engine.cancel(this), engineCallbacks);
  }

  /** Undoes a successful {@link #claim} when a batch is rejected as a whole. */
  void unclaim() {
    unclaim.run();
  }

  /**
   * Replaces the published status and has {@code via} deliver it to waiters and listeners, after
   * those of every earlier status; the engine's {@code via} defers them to the end of its batch.
   */
  void publish(TaskStatus next, Executor via) {
    publish.accept(next, via);
  }

  /** Names the task by its key, which never changes; any thread. */
  @Override
  public String toString() {
    return "task " + task.key();
  }
}
