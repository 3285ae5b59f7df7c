package org.stowage.scheduler;

import java.util.Objects;

/**
 * What the scheduler asks a {@link Cluster} for: an alloc of at least {@code min}, and ideally room
 * for {@code width} more tasks of that size, that is up to {@link #max()} = {@code (1 + width) × min}.
 *
 * <p>The cluster may return any alloc at least as large as {@code min}; the scheduler uses whatever
 * it gets and asks again for what did not fit.
 *
 * <p>Thread-safety: immutable.
 *
 * @param min the smallest alloc that is of use: at least the largest task it is meant for
 * @param width how many more {@code min}-sized slots the scheduler would like in the same alloc
 */
public record Requirements(Resources min, int width) {

  /**
   * Validates the fields.
   *
   * @param min the smallest alloc that is of use
   * @param width how many more {@code min}-sized slots the scheduler would like in the same alloc
   * @throws IllegalArgumentException if {@code width} is negative
   */
  public Requirements {
    Objects.requireNonNull(min, "min");
    if (width < 0) {
      throw new IllegalArgumentException("width must be >= 0 but was " + width);
    }
  }

  /**
   * Returns {@code (1 + width) × min}, the most this request can use.
   *
   * @return the largest useful alloc
   */
  public Resources max() {
    return min.times(1 + width);
  }

  @Override
  public String toString() {
    return width == 0 ? min.toString() : min + "x" + (1 + width);
  }
}
