package org.stowage.scheduler;

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

/**
 * A task's progress as its users see it: the published status, the waits on it and its listeners,
 * and the owner that a cancel goes to. The engine keeps its own record of the task and publishes
 * each new status here; it reaches this class only through the hooks that {@link Scheduler} hands
 * over, so nothing here knows the engine.
 *
 * <p>Concurrency: {@code status} is volatile and replaced whole. Waiters, listeners, the furthest
 * state reached and the owner are guarded by {@code this}; every status change hands its deliveries
 * to an executor while holding the lock, so deliveries keep the order of the changes. The engine
 * passes an executor that defers them to the end of its batch of events.
 */
final class TaskProgress {

  private static final System.Logger LOG = System.getLogger(TaskProgress.class.getName());

  private final Task task;
  private volatile TaskStatus status;

  // guarded by this
  private int furthest;
  private final List<Waiter> waiters = new ArrayList<>();
  /** Asks the owning engine to cancel the task; null until a scheduler claims the task. */
  private @Nullable Runnable cancelByOwner;
  private Executor callbacks = Runnable::run;
  private final List<Consumer<TaskStatus>> listeners = new CopyOnWriteArrayList<>();

  TaskProgress(Task task) {
    this.task = task;
    this.status = new TaskStatus(State.INIT, 0, task.key() + ".0", null, null, null, null, 0);
  }

  /** Returns the latest status; any thread. */
  TaskStatus status() {
    return status;
  }

  /** See {@link Task#await(State)}. */
  CompletableFuture<Task> await(State target) {
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

  /** See {@link Task#subscribe}. */
  AutoCloseable subscribe(Consumer<TaskStatus> listener) {
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

  /** See {@link Task#cancel()}. */
  boolean cancel() {
    Runnable owner;
    synchronized (this) {
      if (status.state() == State.DONE) {
        return false;
      }
      owner = cancelByOwner;
      if (owner == null) {
        TaskStatus s = status;
        publish(new TaskStatus(State.DONE, s.attempt(), s.id(), null, null, null,
            new TaskException(TaskException.Kind.CANCELLED,
                task + " was cancelled before it was submitted"), s.sinceNanos()), callbacks);
        return true;
      }
    }
    owner.run();
    return true;
  }

  /**
   * Makes a scheduler the owner, once: from now on a cancel runs {@code cancel}, which asks the
   * owner and must not block, and {@code ownerCallbacks} delivers to new listeners.
   *
   * @return null on success, else why the task cannot be submitted
   */
  synchronized @Nullable String claim(Runnable cancel, Executor ownerCallbacks) {
    if (cancelByOwner != null) {
      return task + " was already submitted";
    }
    if (status.state() == State.DONE) {
      return task + " is already done";
    }
    cancelByOwner = cancel;
    callbacks = ownerCallbacks;
    return null;
  }

  /** Returns whether a scheduler has claimed the task: submitting it again anywhere is refused. */
  synchronized boolean isClaimed() {
    return cancelByOwner != null;
  }

  /** Undoes a successful {@link #claim} when a submission is refused as a whole. */
  synchronized void unclaim() {
    cancelByOwner = null;
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

  private record Waiter(State target, CompletableFuture<Task> future) {}
}
