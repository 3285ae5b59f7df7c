package org.stowage.scheduler.internal;

import java.time.Duration;

/**
 * Arithmetic on the durations users set, which may be anything up to {@code Duration}'s own limits
 * (a 300-year timeout, {@code ChronoUnit.FOREVER.getDuration()}): every duration of
 * {@link #FOREVER} or more means "never", and the sums and differences of times never overflow.
 * Not API.
 *
 * <p>Thread-safety: stateless.
 */
public final class Durations {

  /**
   * One hundred years: a duration this long or longer means "never". Shorter than the 292 years
   * that a {@code long} of nanoseconds holds, so that a time plus a saturated duration still fits.
   */
  public static final Duration FOREVER = Duration.ofDays(36_500);

  private static final long FOREVER_NANOS = FOREVER.toNanos();

  private Durations() {}

  /**
   * Returns whether {@code d} means "never".
   *
   * @param d a duration
   * @return true if {@code d} is at least {@link #FOREVER}
   */
  public static boolean isForever(Duration d) {
    return d.compareTo(FOREVER) >= 0;
  }

  /**
   * Compares two durations as the engine sees them: every duration of {@link #FOREVER} or more is
   * the same "never", and every negative one is zero.
   *
   * @param a a duration
   * @param b another duration
   * @return a negative number, zero or a positive number as {@code a} is shorter than, as long as
   *     or longer than {@code b}
   */
  public static int compare(Duration a, Duration b) {
    return Long.compare(nanos(a), nanos(b));
  }

  /**
   * Returns {@code d} in nanoseconds, at most {@link #FOREVER}'s and at least 0.
   *
   * @param d a duration
   * @return its nanoseconds, saturated
   */
  public static long nanos(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    return isForever(d) ? FOREVER_NANOS : d.toNanos();
  }

  /**
   * Returns {@code time + nanos}, at most {@code Long.MAX_VALUE}: a time plus a duration of
   * centuries never overflows.
   *
   * @param time a time in nanoseconds, on any clock
   * @param nanos a duration in nanoseconds; not negative
   * @return the sum, saturated
   */
  public static long plus(long time, long nanos) {
    return time > 0 && nanos > Long.MAX_VALUE - time ? Long.MAX_VALUE : time + nanos;
  }

  /**
   * Returns {@code base} shifted left {@code doublings} times, at most {@code max}: a backoff that
   * doubles without overflowing.
   *
   * @param base the first value, in nanoseconds; not negative
   * @param doublings how many times to double it; not negative
   * @param max the largest value to return
   * @return {@code min(max, base * 2^doublings)}
   */
  public static long doubled(long base, int doublings, long max) {
    long v = Math.min(base, max);
    for (int i = 0; i < doublings && v < max; i++) {
      v = v > max / 2 ? max : v * 2;
    }
    return Math.min(v, max);
  }
}
