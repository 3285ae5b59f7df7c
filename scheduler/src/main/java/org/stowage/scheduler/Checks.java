package org.stowage.scheduler;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Argument and state checks shared by the builders, with messages that echo the value. */
final class Checks {

  private Checks() {}

  /** Throws if a builder option was already set. */
  static void requireUnset(@Nullable Object value, String option) {
    if (value != null) {
      throw new IllegalStateException(option + " was already set to " + value);
    }
  }

  /** Returns {@code name} if it is not blank. */
  static String requireNotBlank(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return name;
  }

  /** Returns {@code d} if it is not negative. */
  static Duration requireNotNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must be >= 0 but was " + d);
    }
    return d;
  }

  /** Returns {@code d} if it is positive. */
  static Duration requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0 but was " + d);
    }
    return d;
  }

  /** Returns {@code n} if it is at least 1. */
  static int requirePositive(int n, String what) {
    if (n < 1) {
      throw new IllegalArgumentException(what + " must be >= 1 but was " + n);
    }
    return n;
  }
}
