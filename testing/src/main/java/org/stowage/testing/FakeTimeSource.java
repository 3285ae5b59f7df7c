package org.stowage.testing;

import java.time.Duration;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.TimeSource;

/**
 * A {@link TimeSource} whose time moves only when a test calls {@link #advance}. Due actions run
 * on the thread that advances, in deadline order.
 *
 * <p>It runs the schedulers that use it until they are idle, in the manner of OkHttp's
 * {@code TaskFaker} and kotlinx-coroutines' {@code TestCoroutineScheduler}: {@link #advance} and
 * {@link #runUntilIdle} return only once every scheduler on this time source has handled every
 * event posted to it, made every call out it decided on, finished its I/O tasks and delivered its
 * callbacks, and nothing is due on the clock. So a test can assert right after moving time, both
 * that something happened and that something did not. What a test does from its own thread (a
 * {@code FakeExec.succeed()}, a {@code FakeCluster.Request.grant()}) reaches the scheduler before
 * the call returns, and so is waited for too.
 *
 * <pre>{@code
 * FakeTimeSource time = new FakeTimeSource();
 * Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time).build();
 * scheduler.submit(List.of(task));
 * time.advance(Duration.ofMillis(50));   // the drain timeout: the request has gone out
 * FakeCluster.Request request = cluster.pollRequest();
 * time.advance(Duration.ofMinutes(5));   // idle allocs are freed
 * }</pre>
 *
 * <p>Thread-safety: thread-safe; one thread at a time should move time. Moving time from one of a
 * scheduler's own threads (a callback, a listener) fails, since it would wait for itself.
 */
public final class FakeTimeSource implements TimeSource {

  /** How long, in real time, {@link #advance} waits by default for the schedulers to be idle. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(20);

  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final List<Activity> activities = new CopyOnWriteArrayList<>();
  private final Duration idleTimeout;
  private long now;
  private long seq;

  /** Creates a time source at an arbitrary fixed origin. */
  public FakeTimeSource() {
    this(DEFAULT_IDLE_TIMEOUT);
  }

  /**
   * Creates a time source at an arbitrary fixed origin, that waits up to {@code idleTimeout} of
   * real time for its schedulers to be idle.
   *
   * @param idleTimeout how long to wait; positive
   */
  public FakeTimeSource(Duration idleTimeout) {
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be > 0 but was " + idleTimeout);
    }
    this.idleTimeout = idleTimeout;
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
   * Waits for the schedulers on this time source while time moves: see {@link #advance}.
   *
   * @param activity what to wait for
   * @return a handle that ends the registration
   */
  @Override
  public Cancellable register(Activity activity) {
    activities.add(activity);
    return () -> activities.remove(activity);
  }

  /**
   * Moves time forward by {@code duration}, running every action that falls due on the way, each
   * with the time set to its deadline. First, after each action, and at the end, it waits until
   * every scheduler on this time source is idle; so it returns once they have caught up with the
   * new time.
   *
   * @param duration how far to move; not negative
   * @throws IllegalStateException if a scheduler is not idle within the idle timeout (the message
   *     says what each was doing and did last), or if called on a scheduler's own thread
   */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must be >= 0 but was " + duration);
    }
    awaitIdle();
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
          break;
        }
        timers.poll();
        now = Math.max(now, due.deadline);
      }
      due.action.run();
      awaitIdle();
    }
    awaitIdle();
  }

  /**
   * Runs the schedulers on this time source until they are idle, without moving time: every
   * action already due runs, and every scheduler handles what it was told. The same as
   * {@code advance(Duration.ZERO)}.
   *
   * @throws IllegalStateException as {@link #advance} does
   */
  public void runUntilIdle() {
    advance(Duration.ZERO);
  }

  /**
   * Returns what each scheduler on this time source is doing and its most recent events, for the
   * message of a failing test.
   *
   * @return a report over several lines; empty if no scheduler uses this time source
   */
  public String report() {
    StringBuilder out = new StringBuilder();
    for (Activity a : activities) {
      out.append(a.describe()).append('\n');
    }
    return out.toString();
  }

  /** Waits until no registered activity has anything left to do. */
  private void awaitIdle() {
    boolean waited = true;
    while (waited) {
      waited = false;
      for (Activity a : activities) {
        try {
          if (a.awaitIdle(Duration.ZERO)) {
            continue;
          }
          waited = true;
          if (!a.awaitIdle(idleTimeout)) {
            throw new IllegalStateException("not idle within " + idleTimeout + " of real time: "
                + a.describe());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for " + a + " to be idle", e);
        }
      }
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
