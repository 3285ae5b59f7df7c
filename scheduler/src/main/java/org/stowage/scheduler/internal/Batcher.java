package org.stowage.scheduler.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The drain: gathers submitted tasks until none has come for the drain timeout, or the first of
 * them has waited the max drain wait, then lets them all go at once, so that a burst of
 * submissions is packed together instead of task by task. Not API.
 *
 * <p>Pure: no threads and no clock. The caller passes the time, and sets a timer for the deadline
 * that {@link #add} or {@link #woke} asks for; at most one is asked for at a time, and the deadline
 * only moves later, so the timer may come early but never late.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 *
 * @param <T> the tasks
 */
final class Batcher<T> {

  /** Returned for "no timer is needed". */
  static final long NO_TIMER = Long.MIN_VALUE;

  private final long timeout;
  private final long maxWait;
  private final List<T> gathering = new ArrayList<>();
  /** Whether a burst is being gathered: {@link #start} holds when its first task came. */
  private boolean open;
  private long start;
  private long deadline;
  private boolean timerSet;

  /**
   * Creates a drain.
   *
   * @param drainTimeout how long after the latest submission the burst goes; zero: at once
   * @param maxDrainWait how long after the first submission it goes at the latest
   */
  Batcher(Duration drainTimeout, Duration maxDrainWait) {
    this.timeout = Durations.nanos(drainTimeout);
    this.maxWait = Durations.nanos(maxDrainWait);
  }

  /**
   * Adds tasks submitted at {@code now}.
   *
   * @return when the caller should call {@link #woke}, or {@link #NO_TIMER} if a timer is set
   *     already, or the drain timeout is zero (then the tasks are {@linkplain #due due} at once)
   */
  long add(Collection<? extends T> tasks, long now) {
    gathering.addAll(tasks);
    if (timeout == 0) {
      return NO_TIMER;
    }
    if (!open) {
      open = true;
      start = now;
    }
    deadline = Math.min(Durations.plus(now, timeout), Durations.plus(start, maxWait));
    if (timerSet) {
      return NO_TIMER;
    }
    timerSet = true;
    return deadline;
  }

  /**
   * The timer asked for came, at {@code now}: the tasks may be {@linkplain #due due}, or the
   * deadline may have moved on.
   *
   * @return when to call again, or {@link #NO_TIMER} if the tasks are due or none is gathered
   */
  long woke(long now) {
    timerSet = false;
    if (gathering.isEmpty()) {
      open = false;
      return NO_TIMER;
    }
    if (now >= deadline) {
      return NO_TIMER;
    }
    timerSet = true;
    return deadline;
  }

  /**
   * Returns whether the gathered tasks should go at {@code now}.
   *
   * @return true if any is gathered and the burst's deadline has come
   */
  boolean due(long now) {
    return !gathering.isEmpty() && (timeout == 0 || now >= deadline);
  }

  /**
   * Takes every gathered task, in the order added, and starts the next burst afresh.
   *
   * @return the tasks
   */
  List<T> flush() {
    List<T> out = new ArrayList<>(gathering);
    gathering.clear();
    open = false;
    return out;
  }

  /**
   * Takes {@code task} out of the burst, if it is there.
   *
   * @return whether it was there
   */
  boolean remove(T task) {
    return gathering.remove(task);
  }

  /**
   * Returns how many tasks are gathered.
   *
   * @return the number gathered
   */
  int size() {
    return gathering.size();
  }
}
