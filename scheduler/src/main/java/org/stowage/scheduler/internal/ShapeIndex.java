package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Waiting shapes ({@link Packer.Group}s) ordered by priority, then by size on the scale (L1
 * norm), largest first, in tiers of one priority, for {@link Packer#fill}; emptied groups are
 * skipped through a path-compressed skip list, so a long fill does not walk over them again and
 * again. Built once per set of groups and scale. Not thread-safe: the engine's thread owns it.
 */
final class ShapeIndex<T> {

  /** A run of the index's order holding the groups of one priority. */
  record Tier(int priority, int start, int end) {}

  final int scaleVersion;
  final Packer.Group<T>[] order;
  final double[] sizes;
  final List<Tier> tiers = new ArrayList<>();
  final @Nullable double[] smallest;
  private final int[] skip;

  @SuppressWarnings("unchecked")
  ShapeIndex(List<Packer.Group<T>> groups, Packer packer) {
    this.scaleVersion = packer.scaleVersion();
    int n = groups.size();
    order = (Packer.Group<T>[]) groups.toArray(new Packer.Group<?>[0]);
    double[] size = new double[n];
    java.util.IdentityHashMap<Packer.Group<T>, Double> sizeOf = new java.util.IdentityHashMap<>();
    for (Packer.Group<T> g : groups) {
      sizeOf.put(g, packer.l1(g.need));
    }
    java.util.Arrays.sort(order, java.util.Comparator
        .comparingInt((Packer.Group<T> g) -> g.priority)
        .thenComparing(g -> sizeOf.get(g), java.util.Comparator.reverseOrder()));
    for (int i = 0; i < n; i++) {
      size[i] = sizeOf.get(order[i]);
    }
    this.sizes = size;
    this.smallest = smallestOf(groups);
    this.skip = new int[n];
    for (int i = 0; i < n; i++) {
      skip[i] = i + 1;
    }
    int start = 0;
    for (int i = 1; i <= n; i++) {
      if (i == n || order[i].priority != order[start].priority) {
        tiers.add(new Tier(order[start].priority, start, i));
        start = i;
      }
    }
  }

  /** Returns the first index of {@code tier} whose group's size is at most {@code size}. */
  int firstAtMost(Tier tier, double size) {
    int lo = tier.start();
    int hi = tier.end();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sizes[mid] > size) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Returns the first index from {@code i} on whose group still has tasks (or the end). */
  int nonEmpty(int i) {
    int n = order.length;
    int r = i;
    while (r < n && order[r].tasks.isEmpty()) {
      r = skip[r];
    }
    while (i < r && i < n) {
      int next = skip[i];
      skip[i] = r;
      i = next;
    }
    return r;
  }

  /**
   * Returns the smallest need, dimension by dimension, of the groups with tasks; null if none.
   * A dimension a group does not name counts as 0.
   */
  private static <T> @Nullable double[] smallestOf(List<Packer.Group<T>> groups) {
    double[] min = null;
    for (Packer.Group<T> g : groups) {
      if (g.tasks.isEmpty()) {
        continue;
      }
      if (min == null) {
        min = g.need.clone();
        continue;
      }
      if (g.need.length < min.length) {
        java.util.Arrays.fill(min, g.need.length, min.length, 0);
      }
      for (int i = 0; i < Math.min(min.length, g.need.length); i++) {
        min[i] = Math.min(min[i], g.need[i]);
      }
    }
    return min;
  }
}
