package org.stowage.scheduler.internal;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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

  /**
   * Returns a sorted, unmodifiable copy of {@code environment} if every variable can be passed to
   * a process: a name that is not empty and holds neither '=' nor NUL, and a value without NUL.
   * Messages name the variable but never echo a value, which may be a secret.
   */
  public static Map<String, String> requireEnvironment(Map<String, String> environment) {
    Objects.requireNonNull(environment, "environment");
    Map<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : environment.entrySet()) {
      String name = e.getKey();
      if (name == null) {
        throw new NullPointerException("environment variable name is null");
      }
      String problem = name.isEmpty() ? "must not be empty"
          : name.indexOf('=') >= 0 ? "must not contain '='"
          : name.indexOf('\0') >= 0 ? "must not contain a NUL character"
          : null;
      if (problem != null) {
        throw new IllegalArgumentException(
            "environment variable name " + problem + " but was " + quote(name));
      }
      String value = e.getValue();
      if (value == null) {
        throw new NullPointerException("environment variable " + name + " is null");
      }
      if (value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "environment variable " + name + " must not contain a NUL character");
      }
      copy.put(name, value);
    }
    return Collections.unmodifiableMap(copy);
  }

  /**
   * Returns true if {@code s} holds a surrogate char that is not half of a pair: it is not
   * well-formed Unicode, cannot be encoded as UTF-8, and JSON readers refuse it in a key.
   */
  public static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns {@code s} in double quotes, for a message: quotes, backslashes, control characters and
   * unpaired surrogates escaped as in Java source, and only the first 100 characters of a longer
   * text, followed by its length.
   */
  public static String quote(String s) {
    int shown = Math.min(s.length(), 100);
    StringBuilder out = new StringBuilder(shown + 2).append('"');
    for (int i = 0; i < shown; i++) {
      char c = s.charAt(i);
      boolean paired = Character.isHighSurrogate(c)
          ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
          : Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || (Character.isSurrogate(c) && !paired)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
    if (shown < s.length()) {
      out.insert(out.length() - 1, "...").append(" (").append(s.length()).append(" characters)");
    }
    return out.toString();
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

  /** Returns {@code n} if it is positive. */
  public static long requirePositive(long n, String what) {
    if (n <= 0) {
      throw new IllegalArgumentException(what + " must be > 0 but was " + n);
    }
    return n;
  }

  /** Returns {@code x} if it is positive and finite (so not NaN). */
  public static double requirePositiveFinite(double x, String what) {
    if (!(x > 0) || Double.isInfinite(x)) {
      throw new IllegalArgumentException(what + " must be > 0 and finite but was " + x);
    }
    return x;
  }
}
