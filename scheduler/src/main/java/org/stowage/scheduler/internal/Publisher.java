package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.SchedulerEvent;
import org.stowage.scheduler.State;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.TimeSource;
import org.stowage.scheduler.WaitReason;

/**
 * Makes a batch's changes visible at its end, in order: first the stats of that instant, then the
 * tasks' new statuses, then (after the engine has made its calls out) the deliveries to waiters and
 * listeners on the callback thread. So whoever sees a change, by reading a status, being told or
 * being called, finds it in the stats and in the statuses too. Not API.
 *
 * <p>Concurrency: the engine's thread, except {@link #subscribe}, for any thread.
 */
final class Publisher {

  private static final System.Logger LOG = System.getLogger(Publisher.class.getName());

  /** A task's new status, to be published at the end of the batch. */
  record Change(TaskRecord task, TaskStatus status) {}

  private final String name;
  private final TimeSource time;
  private final Stats stats;
  private final List<Consumer<SchedulerEvent>> listeners = new CopyOnWriteArrayList<>();
  /** This batch's status changes, made visible at the end of the batch. */
  private final List<Change> changes = new ArrayList<>();
  /** Deliveries of this batch's changes, handed to the callback thread at its end. */
  private final List<Runnable> deferred = new ArrayList<>();
  private final Executor defer = deferred::add;

  Publisher(String name, TimeSource time, Stats stats) {
    this.name = name;
    this.time = time;
    this.stats = stats;
  }

  /**
   * Adds a listener of scheduler events; any thread.
   *
   * @param closed whether the scheduler has closed: then the listener hears so at once
   * @return a handle whose {@code close()} removes the listener
   */
  AutoCloseable subscribe(Consumer<SchedulerEvent> listener, boolean closed) {
    listeners.add(listener);
    if (closed) {
      listener.accept(new SchedulerEvent.Closed(name));
    }
    return () -> listeners.remove(listener);
  }

  /** Changes {@code t}'s state, keeping its attempt and id. */
  void publish(TaskRecord t, State state, @Nullable String allocId,
      @Nullable WaitReason waiting, @Nullable ExecResult result, @Nullable TaskException error) {
    TaskStatus s = t.current;
    publish(t, new TaskStatus(state, s.attempt(), s.id(), allocId, waiting, result, error,
        time.nanoTime()));
  }

  /** Ends {@code t} DONE with {@code error}. */
  void finish(TaskRecord t, TaskException error) {
    publish(t, State.DONE, null, null, null, error);
  }

  /** Says why {@code t} waits, if that changed. */
  void setWaiting(TaskRecord t, WaitReason reason) {
    TaskStatus s = t.current;
    if (s.waiting() != reason) {
      publish(t, new TaskStatus(s.state(), s.attempt(), s.id(), null, reason, null, null,
          s.sinceNanos()));
    }
  }

  /** The one place a task's status changes: its waiters, listeners and our subscribers hear it. */
  void publish(TaskRecord t, TaskStatus next) {
    stats.changed(t, t.current, next);
    t.current = next;
    changes.add(new Change(t, next));
    emit(new SchedulerEvent.TaskChanged(t.task, next));
  }

  /** Tells the scheduler's listeners, at the end of the batch. */
  void emit(SchedulerEvent event) {
    if (listeners.isEmpty()) {
      return;
    }
    defer.execute(() -> {
      for (Consumer<SchedulerEvent> l : listeners) {
        try {
          l.accept(event);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "scheduler " + name + ": listener threw; ignored", e);
        }
      }
    });
  }

  /**
   * Publishes the stats of this instant, then the batch's statuses; their deliveries wait for
   * {@link #deliver}.
   */
  void publishBatch(int waiting, int pendingAllocs, Dimensions dims) {
    stats.publish(waiting, pendingAllocs, dims, changes);
    for (Change c : changes) {
      c.task().publish(c.status(), defer);
    }
    changes.clear();
  }

  /** Hands the batch's deliveries, in order, to {@code callbacks}. */
  void deliver(Executor callbacks) {
    if (deferred.isEmpty()) {
      return;
    }
    List<Runnable> batch = new ArrayList<>(deferred);
    deferred.clear();
    callbacks.execute(() -> {
      for (Runnable delivery : batch) {
        try {
          delivery.run();
        } catch (RuntimeException | Error e) {
          LOG.log(Level.ERROR, "scheduler " + name + ": a delivery failed; continuing", e);
        }
      }
    });
  }
}
