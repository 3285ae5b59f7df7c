package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.stowage.scheduler.internal.WaitingIndex.Group;

/**
 * The waiting groups of one priority that name the same resources, in a {@link WaitingIndex}: a
 * few k-d trees ({@link ShapeTree}s, "runs") of sizes that roughly double, and a small buffer of
 * the newest groups (the logarithmic method of Bentley and Saxe, 1980: adding a group costs
 * amortised O(log² n), a search O(log² n)). After a burst of additions the runs are made one again.
 * Not API.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class ShapeTier {

  private static final int MIN_BUFFER = 32;

  final int priority;
  /** Bit i set: the groups name resource i. */
  final int mask;
  final int dims;
  private final Packer packer;
  /** Told of each empty group the tier lets go of. */
  private final Consumer<Group> dropped;
  private final List<ShapeTree> runs = new ArrayList<>();
  private final List<Group> buffer = new ArrayList<>();
  private long tasks;
  private final double[] total;

  ShapeTier(int priority, int mask, Packer packer, Consumer<Group> dropped) {
    this.priority = priority;
    this.mask = mask;
    this.dims = 32 - Integer.numberOfLeadingZeros(mask);
    this.packer = packer;
    this.dropped = dropped;
    this.total = new double[dims];
  }

  /** Returns how many tasks wait in the tier. */
  long tasks() {
    return tasks;
  }

  /** Returns the need of all the tier's tasks, summed; the caller must not change it. */
  double[] total() {
    return total;
  }

  /** Returns whether the tier holds nothing at all any more. */
  boolean gone() {
    return runs.isEmpty() && buffer.isEmpty() && tasks == 0;
  }

  /** Counts a task of {@code need} in ({@code sign} 1) or out (-1). */
  void counted(double[] need, int sign) {
    tasks += sign;
    for (int i = 0; i < dims; i++) {
      total[i] += sign * Packer.get(need, i);
    }
    if (tasks == 0) {
      java.util.Arrays.fill(total, 0);  // no rounding left over
    }
  }

  /** Takes a new group, in the buffer, which becomes a run when the tier is next searched. */
  void added(Group g) {
    buffer.add(g);
  }

  /**
   * Makes the tier ready to be searched: a buffer past a few groups becomes a run (so a burst of
   * additions with no search between them is built into a tree once), and the runs are made one
   * again after a burst.
   */
  private void prepare() {
    if (buffer.size() > MIN_BUFFER) {
      List<Group> groups = new ArrayList<>();
      for (Group g : buffer) {
        if (g.count() > 0) {
          groups.add(g);
        } else {
          drop(g);
        }
      }
      buffer.clear();
      addRun(groups);
    }
    consolidate();
  }

  /** Group {@code g} of this tier holds tasks again. */
  void nonEmpty(Group g) {
    ShapeTree run = g.run;
    if (run != null) {
      run.emptied--;
      run.adjust(g.position, +1);
    }
  }

  /** Group {@code g} of this tier holds no task now. */
  void emptied(Group g) {
    ShapeTree run = g.run;
    if (run == null) {
      return;  // in the buffer, which is small: dropped when the buffer becomes a run
    }
    run.emptied++;
    run.adjust(g.position, -1);
    if (run.emptied > MIN_BUFFER && run.emptied > run.points.length / 2) {
      runs.remove(run);
      addRun(release(List.of(run)));
    }
  }

  /** Returns the tier's groups that hold tasks. */
  List<Group> groups() {
    List<Group> out = new ArrayList<>();
    for (ShapeTree run : runs) {
      for (Group g : run.points) {
        if (g.count() > 0) {
          out.add(g);
        }
      }
    }
    for (Group g : buffer) {
      if (g.count() > 0) {
        out.add(g);
      }
    }
    return out;
  }

  /** Looks for a group that fits {@code left} better than {@code b}'s. */
  void best(double[] left, ShapeTree.Best b) {
    prepare();
    double[] w = new double[dims];
    for (int i = 0; i < dims; i++) {
      w[i] = packer.weight(i);
    }
    // The leftover in the resources the tier's groups do not name: all of the room.
    double rest = 0;
    for (int i = dims; i < left.length; i++) {
      rest += left[i] * left[i] * packer.weight(i);
    }
    for (ShapeTree run : runs) {
      run.search(left, w, rest, packer, b);
      if (b.any && b.group != null) {
        return;
      }
    }
    for (Group g : buffer) {
      ShapeTree.consider(g, left, w, rest, packer, b);
    }
  }

  /** Returns the largest need of resource {@code i} of the tier's tasks, or {@code most}. */
  double largest(int i, double most) {
    prepare();
    double m = most;
    for (ShapeTree run : runs) {
      m = run.largest(i, m);
    }
    for (Group g : buffer) {
      if (g.count() > 0) {
        m = Math.max(m, Packer.get(g.need, i));
      }
    }
    return m;
  }

  /** Returns a bound on the smallest need of resource {@code i} of the tier's tasks. */
  double smallest(int i) {
    prepare();
    double m = Double.POSITIVE_INFINITY;
    for (ShapeTree run : runs) {
      int root = run.root();
      if (run.live[root] > 0) {
        m = Math.min(m, run.lo[root * dims + i]);
      }
    }
    for (Group g : buffer) {
      if (g.count() > 0) {
        m = Math.min(m, Packer.get(g.need, i));
      }
    }
    return m;
  }

  /** Takes the groups with tasks out of {@code trees}, dropping the empty ones. */
  private List<Group> release(List<ShapeTree> trees) {
    List<Group> out = new ArrayList<>();
    for (ShapeTree run : trees) {
      for (Group p : run.points) {
        p.run = null;
        if (p.count() > 0) {
          out.add(p);
        } else {
          drop(p);
        }
      }
    }
    return out;
  }

  private void drop(Group g) {
    g.position = -1;
    dropped.accept(g);
  }

  /** Adds a run of {@code groups}, merging runs of about its size, as binary counting carries. */
  private void addRun(List<Group> groups) {
    List<Group> merged = new ArrayList<>(groups);
    // Runs are kept largest first; while the smallest is no larger than what is added, merge it.
    while (!runs.isEmpty()) {
      ShapeTree last = runs.get(runs.size() - 1);
      if (last.points.length - last.emptied > 2 * merged.size()) {
        break;
      }
      runs.remove(runs.size() - 1);
      merged.addAll(release(List.of(last)));
    }
    if (merged.isEmpty()) {
      return;
    }
    double[] factors = new double[dims];
    for (int i = 0; i < factors.length; i++) {
      factors[i] = Math.sqrt(packer.weight(i));
    }
    ShapeTree run = new ShapeTree(merged, dims, factors);
    int at = runs.size();
    while (at > 0 && runs.get(at - 1).points.length < run.points.length) {
      at--;
    }
    runs.add(at, run);
  }

  /**
   * Merges the runs into one once the smaller ones together reach a quarter of the largest: a
   * search looks at every run, so after a burst of additions they are made one again, at an
   * amortised O(log n) per group added.
   */
  private void consolidate() {
    if (runs.size() < 2 || tasks == 0) {
      return;
    }
    long first = runs.get(0).points.length;
    long others = 0;
    for (int i = 1; i < runs.size(); i++) {
      others += runs.get(i).points.length;
    }
    if (others * 4 < first) {
      return;
    }
    List<Group> all = release(new ArrayList<>(runs));
    runs.clear();
    addRun(all);
  }
}
