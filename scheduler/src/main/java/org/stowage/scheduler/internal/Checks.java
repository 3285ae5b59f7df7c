package org.stowage.scheduler.internal;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Argument and state checks shared by the builders (of the scheduler, tasks and the clusters), with
 * lowercase messages that name the option and echo the value. Not API.
 *
 * <p>Thread-safety: stateless.
 */
public final class Checks {

  private Checks() {}

  /** Throws if a builder option was already set. */
  public static void requireUnset(@Nullable Object value, String option) {
    if (value != null) {
      throw new IllegalStateException(option + " was already set to " + value);
    }
  }

  /** Returns {@code name} if it is not blank. */
  public static String requireNotBlank(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return name;
  }

  /** Returns {@code d} if it is not negative. */
  public static Duration requireNotNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must be >= 0 but was " + d);
    }
    return d;
  }

  /** Returns {@code d} if it is positive. */
  public static Duration requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0 but was " + d);
    }
    return d;
  }

  /** Returns {@code n} if it is at least 1. */
  public static int requirePositive(int n, String what) {
    if (n < 1) {
      throw new IllegalArgumentException(what + " must be >= 1 but was " + n);
    }
    return n;
  }
}
