package org.stowage.scheduler;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scheduler's clock and timers. The scheduler never reads the wall clock: it reads this, so
 * that tests and simulations can drive time by hand (see {@code FakeTimeSource} in the testing
 * module).
 *
 * <p>Thread-safety: implementations must be thread-safe. Scheduled actions are short (they post an
 * event to the scheduler) and may run on any thread.
 */
public interface TimeSource {

  /**
   * Returns a monotonic time in nanoseconds, like {@link System#nanoTime()}.
   *
   * @return the current time in nanoseconds
   */
  long nanoTime();

  /**
   * Runs {@code action} once, {@code delay} from now.
   *
   * @param delay how long from now
   * @param action what to run
   * @return a handle that cancels the action if it has not run yet
   */
  Cancellable schedule(Duration delay, Runnable action);

  /**
   * Runs {@code action} once, when {@link #nanoTime()} reaches {@code deadlineNanos} (at once if it
   * has). For an action due at a deadline worked out earlier, this is exact where
   * {@code schedule(deadline - nanoTime())} is not: time may move between the two readings.
   *
   * @param deadlineNanos when to run, on this time source's clock
   * @param action what to run
   * @return a handle that cancels the action if it has not run yet
   */
  default Cancellable scheduleAt(long deadlineNanos, Runnable action) {
    long now = nanoTime();
    // Saturated: a deadline of Long.MAX_VALUE from a negative clock reading would overflow.
    long delay = deadlineNanos <= now ? 0
        : deadlineNanos - now < 0 ? Long.MAX_VALUE : deadlineNanos - now;
    return schedule(Duration.ofNanos(delay), action);
  }

  /**
   * Registers work that runs on this time source's timers, so that a time source a test moves by
   * hand can wait for it to catch up. A scheduler registers itself when it starts and cancels the
   * registration once it has closed. This default ignores the registration, as the system's time
   * source does; {@code FakeTimeSource} in the testing module waits, each time it moves time,
   * until every registered activity is idle.
   *
   * @param activity what to wait for
   * @return a handle that ends the registration; idempotent
   */
  default Cancellable register(Activity activity) {
    return () -> { };
  }

  /**
   * Work driven by a time source (a scheduler) that can say when it has nothing left to do: no
   * event waiting or being handled, no I/O task of its own running, no callback waiting to be
   * delivered.
   *
   * <p>Thread-safety: implementations must be thread-safe.
   */
  interface Activity {

    /**
     * Waits until the activity is idle, or {@code timeout} has passed.
     *
     * @param timeout how long to wait, in real time
     * @return true if it is idle, false if the timeout passed first
     * @throws InterruptedException if the waiting thread is interrupted
     * @throws IllegalStateException if called on one of the activity's own threads, which would
     *     wait for itself
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException;

    /**
     * Says what the activity is doing and what it did last, for a failing test's message.
     *
     * @return a description over one or more lines
     */
    String describe();
  }

  /** A scheduled action that can be called off. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the action if it has not run yet; idempotent. */
    void cancel();
  }

  /**
   * Returns the system's monotonic clock, with timers on one shared daemon thread.
   *
   * @return the system's time source
   */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }
}

/** The system clock, with a single shared timer thread. */
final class SystemTimeSource implements TimeSource {

  static final SystemTimeSource INSTANCE = new SystemTimeSource();

  private final ScheduledThreadPoolExecutor timers;

  private SystemTimeSource() {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "stowage-timer-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    timers = new ScheduledThreadPoolExecutor(1, factory);
    timers.setRemoveOnCancelPolicy(true);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable action) {
    // A delay past what a long of nanoseconds holds (292 years) is as good as never.
    long nanos = delay.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE
        : Math.max(0, delay.toNanos());
    var future = timers.schedule(action, nanos, TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }
}
