package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;

/**
 * The scheduler's side of a {@link Task}: its published status, its waiters and listeners, and the
 * engine's bookkeeping for it. Not API.
 *
 * <p>Concurrency: {@code status} is volatile and replaced whole. Waiters, listeners, the furthest
 * state reached and the owning engine are guarded by {@code this}; every status change hands its
 * deliveries to an executor while holding the lock, so deliveries keep the order of the changes.
 * The engine defers them to the end of its batch of events (see {@code Engine}). The fields marked
 * "engine-owned" are touched only by the owning engine's thread.
 */
public final class TaskRecord {

  private static final System.Logger LOG = System.getLogger(TaskRecord.class.getName());

  final Task task;
  private volatile TaskStatus status;

  // guarded by this
  private int furthest;
  private final List<Waiter> waiters = new ArrayList<>();
  private @Nullable Engine owner;
  private Executor callbacks = Runnable::run;
  private final List<Consumer<TaskStatus>> listeners = new CopyOnWriteArrayList<>();

  // engine-owned
  /** The status as the engine knows it; {@link #status} catches up at the end of each batch. */
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
  /** Set when the task joins the queue (see {@code TaskQueue}), 0 while it is not queued. */
  long queueTicket;
  /** The task's attempt on an alloc, while it has one. */
  @Nullable Attempt attempt;

  /**
   * Creates the record of a new task.
   *
   * @param task the task it records
   */
  public TaskRecord(Task task) {
    this.task = task;
    this.status = new TaskStatus(State.INIT, 0, task.key() + ".0", null, null, null, null, 0);
    this.current = status;
  }

  /**
   * Returns the latest status.
   *
   * @return the status
   */
  public TaskStatus status() {
    return status;
  }

  /**
   * See {@link Task#await(State)}.
   *
   * @param target the state to wait for
   * @return a future completing with the task
   */
  public CompletableFuture<Task> await(State target) {
    CompletableFuture<Task> future = new CompletableFuture<>();
    synchronized (this) {
      if (furthest >= target.ordinal()) {
        settle(future, status);
        return future;
      }
      Waiter w = new Waiter(target, future);
      waiters.add(w);
      future.whenComplete((t, e) -> {
        if (future.isCancelled()) {
          synchronized (this) {
            waiters.remove(w);
          }
        }
      });
    }
    return future;
  }

  /**
   * See {@link Task#subscribe}.
   *
   * @param listener called with each new status
   * @return a handle whose {@code close()} stops the calls
   */
  public AutoCloseable subscribe(Consumer<TaskStatus> listener) {
    synchronized (this) {
      TaskStatus now = status;
      listeners.add(listener);
      try {
        callbacks.execute(() -> notify(listener, now));
      } catch (RejectedExecutionException e) {
        notify(listener, now);  // the scheduler has closed: nothing else will be delivered
      }
    }
    return () -> listeners.remove(listener);
  }

  /**
   * See {@link Task#cancel()}.
   *
   * @return false if the task was already DONE
   */
  public boolean cancel() {
    Engine engine;
    synchronized (this) {
      if (status.state() == State.DONE) {
        return false;
      }
      engine = owner;
      if (engine == null) {
        TaskStatus s = status;
        current = new TaskStatus(State.DONE, s.attempt(), s.id(), null, null, null,
            new TaskException(TaskException.Kind.CANCELLED,
                task + " was cancelled before it was submitted"), s.sinceNanos());
        publish(current, callbacks);
        return true;
      }
    }
    engine.cancel(this);
    return true;
  }

  /**
   * Makes {@code engine} the owner, whose callback executor delivers from now on.
   *
   * @return null on success, else why the task cannot be submitted
   */
  synchronized @Nullable String claim(Engine engine, Executor engineCallbacks) {
    if (owner != null) {
      return task + " was already submitted";
    }
    if (status.state() == State.DONE) {
      return task + " is already done";
    }
    owner = engine;
    callbacks = engineCallbacks;
    return null;
  }

  /**
   * Returns whether a scheduler has claimed the task: submitting it again anywhere is refused.
   *
   * @return whether the task is claimed
   */
  public synchronized boolean isClaimed() {
    return owner != null;
  }

  /** Undoes a successful {@link #claim} when a batch is rejected as a whole. */
  synchronized void unclaim() {
    owner = null;
    callbacks = Runnable::run;
  }

  /**
   * Replaces the status and has {@code via} deliver it to waiters and listeners, in order: to the
   * waiters and listeners there are now, whenever {@code via} runs the delivery.
   */
  synchronized void publish(TaskStatus next, Executor via) {
    status = next;
    furthest = Math.max(furthest, next.state().ordinal());
    List<Waiter> ready = null;
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.target.ordinal() <= furthest) {
        it.remove();
        if (ready == null) {
          ready = new ArrayList<>();
        }
        ready.add(w);
      }
    }
    List<Waiter> settle = ready;
    if (settle == null && listeners.isEmpty()) {
      return;
    }
    List<Consumer<TaskStatus>> hearing = listeners.isEmpty() ? List.of() : List.copyOf(listeners);
    via.execute(() -> {
      if (settle != null) {
        for (Waiter w : settle) {
          settle(w.future, next);
        }
      }
      for (Consumer<TaskStatus> l : hearing) {
        notify(l, next);
      }
    });
  }

  private void settle(CompletableFuture<Task> future, TaskStatus s) {
    if (s.state() == State.DONE && s.error() != null) {
      future.completeExceptionally(s.error());
    } else {
      future.complete(task);
    }
  }

  private void notify(Consumer<TaskStatus> listener, TaskStatus s) {
    try {
      listener.accept(s);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "listener of " + task + " threw; ignored", e);
    }
  }

  /** Names the task by its key, which never changes; any thread. */
  @Override
  public String toString() {
    return "task " + task.key();
  }

  private record Waiter(State target, CompletableFuture<Task> future) {}
}
