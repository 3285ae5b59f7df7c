package org.stowage.testing;

import java.time.Duration;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.TimeSource;

/**
 * A {@link TimeSource} whose time moves only when a test calls {@link #advance}. Due actions run
 * on the thread that advances, in deadline order.
 *
 * <pre>{@code
 * FakeTimeSource time = new FakeTimeSource();
 * Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time).build();
 * time.advance(Duration.ofMinutes(5));   // idle allocs are freed
 * }</pre>
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FakeTimeSource implements TimeSource {

  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private long now;
  private long seq;

  /** Creates a time source at an arbitrary fixed origin. */
  public FakeTimeSource() {
    this.now = 1_000_000_000L;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable action) {
    return add(plus(now, delay), action);
  }

  /**
   * Runs {@code action} when the time reaches {@code deadlineNanos}; an action already due runs at
   * once, on the calling thread, since no {@link #advance} would run it.
   */
  @Override
  public Cancellable scheduleAt(long deadlineNanos, Runnable action) {
    synchronized (this) {
      if (deadlineNanos > now) {
        return add(deadlineNanos, action);
      }
    }
    action.run();
    return () -> { };
  }

  /** Returns {@code time + delay}, at most Long.MAX_VALUE: a delay of centuries never overflows. */
  private static long plus(long time, Duration delay) {
    if (delay.isNegative()) {
      return time;
    }
    long nanos = delay.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE
        : delay.toNanos();
    return nanos > Long.MAX_VALUE - time ? Long.MAX_VALUE : time + nanos;
  }

  private Cancellable add(long deadline, Runnable action) {
    Timer t = new Timer(deadline, seq++, action);
    timers.add(t);
    return () -> {
      synchronized (this) {
        timers.remove(t);
      }
    };
  }

  /**
   * Moves time forward by {@code duration}, running every action that falls due on the way, each
   * with the time set to its deadline.
   *
   * @param duration how far to move; not negative
   */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must be >= 0 but was " + duration);
    }
    long target;
    synchronized (this) {
      target = plus(now, duration);
    }
    while (true) {
      Timer due;
      synchronized (this) {
        due = timers.peek();
        if (due == null || due.deadline > target) {
          now = target;
          return;
        }
        timers.poll();
        now = Math.max(now, due.deadline);
      }
      due.action.run();
    }
  }

  /**
   * Returns how many actions are scheduled and have not run.
   *
   * @return the number of pending actions
   */
  public synchronized int pendingTimers() {
    return timers.size();
  }

  /**
   * Returns how long until the next scheduled action, or null if there is none.
   *
   * @return the delay until the next action, or null
   */
  public synchronized @Nullable Duration nextDeadline() {
    Timer t = timers.peek();
    return t == null ? null : Duration.ofNanos(t.deadline - now);
  }

  private record Timer(long deadline, long seq, Runnable action) implements Comparable<Timer> {
    @Override
    public int compareTo(Timer o) {
      return deadline != o.deadline ? Long.compare(deadline, o.deadline) : Long.compare(seq, o.seq);
    }
  }
}
