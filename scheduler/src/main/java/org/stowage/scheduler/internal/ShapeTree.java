package org.stowage.scheduler.internal;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.internal.WaitingIndex.Group;

/**
 * One static k-d tree of the groups of a {@link WaitingIndex} tier. Not API.
 *
 * <p>A node is a position: the root of the subtree of [from, to) is its middle. Each node keeps the
 * box of its subtree's needs, the largest size in it, and how many of its groups hold tasks.
 * Besides the resources, the tree may split on a group's size (a weighted L1 norm, with the
 * factors 1 / scale of when it was built), and the largest size in a subtree bounds from below, by
 * Cauchy–Schwarz, what its groups leave of a large room. Emptied groups stay until the tree is
 * rebuilt, so boxes only ever over-cover. Built by selection (Hoare's), O(n log n).
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class ShapeTree {

  private static final double EPSILON = 1e-9;

  final Group[] points;
  final int[] live;
  final double[] lo;
  final double[] hi;
  final double[] factors;
  final double[] sizeHi;
  final int dims;
  int emptied;

  /** Builds the tree of {@code groups} over {@code dims} resources; each group learns its place. */
  ShapeTree(List<Group> groups, int dims, double[] factors) {
    this.points = groups.toArray(new Group[0]);
    this.dims = dims;
    this.live = new int[points.length];
    this.lo = new double[points.length * dims];
    this.hi = new double[points.length * dims];
    this.factors = factors;
    this.sizeHi = new double[points.length];
    // Each group's coordinates (its needs, then its size), row by row in step with the points
    // while they are reordered; only needed while building.
    int width = dims + 1;
    double[] coords = new double[points.length * width];
    for (int k = 0; k < points.length; k++) {
      Group g = points[k];
      for (int i = 0; i < dims; i++) {
        coords[k * width + i] = Packer.get(g.need, i);
      }
      coords[k * width + dims] = size(g);
    }
    build(coords, 0, points.length);
  }

  /** The best group found so far by a search, with its leftover. */
  static final class Best {
    @Nullable Group group;
    double score = Double.POSITIVE_INFINITY;
    /** Any group that fits will do: stop at the first. */
    boolean any;
    /** If set, only groups that also fit in it count. */
    double @Nullable [] within;
  }

  /** Returns the root's position. */
  int root() {
    return points.length >>> 1;
  }

  /**
   * Looks for the group that fits {@code left} and leaves the least of it, improving on {@code b}.
   *
   * @param w the weight of each resource the tier names (1 / scale²)
   * @param rest the leftover in the resources the tier does not name
   */
  void search(double[] left, double[] w, double rest, Packer packer, Best b) {
    int root = root();
    if (points.length == 0 || live[root] == 0 || !boxFits(root, left)) {
      return;
    }
    Query q = new Query(this, dims, left, w, rest, packer);
    search(q, 0, points.length, q.lowerBound(root), b);
  }

  /** Returns the group's size on the tree's factors. */
  double size(Group g) {
    double sum = 0;
    for (int i = 0; i < factors.length; i++) {
      sum += factors[i] * Packer.get(g.need, i);
    }
    return sum;
  }


  /** Adds {@code delta} to the live count of every node from the root down to {@code position}. */
  void adjust(int position, int delta) {
    int from = 0;
    int to = points.length;
    while (from < to) {
      int mid = (from + to) >>> 1;
      live[mid] += delta;
      if (position == mid) {
        return;
      }
      if (position < mid) {
        to = mid;
      } else {
        from = mid + 1;
      }
    }
  }

  /** Returns the largest need of resource {@code dim} of the groups with tasks, or {@code best}. */
  double largest(int dim, double best) {
    return largest(dim, 0, points.length, best);
  }

  private double largest(int dim, int from, int to, double best) {
    if (from >= to) {
      return best;
    }
    int mid = (from + to) >>> 1;
    if (live[mid] == 0 || hi[mid * dims + dim] <= best) {
      return best;
    }
    Group g = points[mid];
    double b = best;
    if (g.count() > 0) {
      b = Math.max(b, Packer.get(g.need, dim));
    }
    b = largest(dim, mid + 1, to, b);
    return largest(dim, from, mid, b);
  }

  /** A search of one run for one room: what its bounds need, worked out once. */
  private static final class Query {
    final ShapeTree run;
    final int d;
    final double[] left;
    final double[] w;
    final double rest;
    final Packer packer;
    /** The room's size on the run's factors. */
    final double leftSize;
    /** The Cauchy–Schwarz denominator: the sum of factor² / weight. */
    final double den;

    Query(ShapeTree run, int d, double[] left, double[] w, double rest, Packer packer) {
      this.run = run;
      this.packer = packer;
      this.d = d;
      this.left = left;
      this.w = w;
      this.rest = rest;
      double size = 0;
      double sum = 0;
      for (int i = 0; i < d; i++) {
        double f = run.factors[i];
        size += f * (i < left.length ? left[i] : 0);
        if (f > 0 && w[i] > 0) {
          sum += f * f / w[i];
        }
      }
      this.leftSize = size;
      this.den = sum;
    }

    /**
     * Returns the least leftover that any group of the node's subtree that fits could leave: in
     * each resource, at least the room less the largest need in the box; and, by Cauchy–Schwarz,
     * at least (room's size − largest size)² / den, for the leftovers add up to the difference of
     * the sizes.
     */
    double lowerBound(int node) {
      int base = node * d;
      double sum = rest;
      for (int i = 0; i < d; i++) {
        double have = i < left.length ? left[i] : 0;
        double x = have - Math.min(run.hi[base + i], have);
        sum += x * x * w[i];
      }
      double gap = leftSize - run.sizeHi[node];
      if (gap > 0 && den > 0) {
        sum = Math.max(sum, rest + gap * gap / den);
      }
      return sum * (1 - 1e-12);  // room for rounding: never prune what ties the best
    }
  }

  /**
   * Searches the subtree of [from, to) of the query's run, whose box fits the room and whose groups
   * that fit leave at least {@code bound}; each child is looked at once, the nearer first.
   */
  private static void search(Query q, int from, int to, double bound, Best b) {
    if (bound > b.score) {
      return;
    }
    ShapeTree run = q.run;
    int mid = (from + to) >>> 1;
    consider(run.points[mid], q.left, q.w, q.rest, q.packer, b);
    if (b.any && b.group != null) {
      return;
    }
    int lo = (from + mid) >>> 1;
    int hi = (mid + 1 + to) >>> 1;
    boolean hasLo = mid > from && run.live[lo] > 0 && run.boxFits(lo, q.left);
    boolean hasHi = to > mid + 1 && run.live[hi] > 0 && run.boxFits(hi, q.left);
    double lbLo = hasLo ? q.lowerBound(lo) : Double.POSITIVE_INFINITY;
    double lbHi = hasHi ? q.lowerBound(hi) : Double.POSITIVE_INFINITY;
    if (lbHi < lbLo) {
      search(q, mid + 1, to, lbHi, b);
      if (hasLo) {
        search(q, from, mid, lbLo, b);
      }
    } else {
      if (hasLo) {
        search(q, from, mid, lbLo, b);
      }
      if (hasHi) {
        search(q, mid + 1, to, lbHi, b);
      }
    }
  }

  static void consider(Group g, double[] left, double[] w, double rest, Packer packer,
      Best b) {
    if (g.count() == 0) {
      return;
    }
    double[] need = g.need;
    double score = rest;
    for (int i = 0; i < w.length; i++) {
      double have = i < left.length ? left[i] : 0;
      double n = i < need.length ? need[i] : 0;
      if (n > have + EPSILON * Math.max(1, have)) {
        return;
      }
      double x = have - n;
      score += x * x * w[i];
    }
    double[] within = b.within;
    if (within != null && !Packer.fits(need, within)) {
      return;
    }
    Group cur = b.group;
    if (cur == null || score < b.score || (score == b.score && better(packer, g, cur))) {
      b.group = g;
      b.score = score;
    }
  }

  /** Of two groups that fit equally well: the larger on the scale, then the older. */
  static boolean better(Packer packer, Group g, Group than) {
    double gs = packer.l1(g.need);
    double ts = packer.l1(than.need);
    return gs != ts ? gs > ts : g.seq < than.seq;
  }

  /** Returns whether the smallest corner of the node's box fits in {@code left}. */
  boolean boxFits(int node, double[] left) {
    int base = node * dims;
    for (int i = 0; i < dims; i++) {
      double have = i < left.length ? left[i] : 0;
      if (lo[base + i] > have + EPSILON * Math.max(1, have)) {
        return false;
      }
    }
    return true;
  }

  private void build(double[] coords, int from, int to) {
    if (from >= to) {
      return;
    }
    int d = dims;
    int axis = widestSpread(coords, from, to);
    int mid = (from + to) >>> 1;
    select(coords, from, to, mid, axis);
    build(coords, from, mid);
    build(coords, mid + 1, to);
    Group g = points[mid];
    g.run = this;
    g.position = mid;
    int base = mid * d;
    int count = g.count() > 0 ? 1 : 0;
    if (g.count() == 0) {
      emptied++;
    }
    for (int i = 0; i < d; i++) {
      lo[base + i] = Packer.get(g.need, i);
      hi[base + i] = Packer.get(g.need, i);
    }
    sizeHi[mid] = coords[mid * (dims + 1) + dims];
    if (mid > from) {
      count += merge(d, mid, (from + mid) >>> 1);
    }
    if (to > mid + 1) {
      count += merge(d, mid, (mid + 1 + to) >>> 1);
    }
    live[mid] = count;
  }

  private int merge(int d, int node, int child) {
    int base = node * d;
    int cb = child * d;
    for (int i = 0; i < d; i++) {
      lo[base + i] = Math.min(lo[base + i], lo[cb + i]);
      hi[base + i] = Math.max(hi[base + i], hi[cb + i]);
    }
    sizeHi[node] = Math.max(sizeHi[node], sizeHi[child]);
    return live[child];
  }

  /**
   * Reorders [from, to) so that {@code k} holds the group it would hold if sorted by the need of
   * {@code dim}, those before it no larger and those after no smaller (Hoare's selection).
   */
  private void select(double[] coords, int from, int to, int k, int axis) {
    int width = dims + 1;
    int lo = from;
    int hi = to - 1;
    while (lo < hi) {
      double pivot = coords[((lo + hi) >>> 1) * width + axis];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (coords[i * width + axis] < pivot) {
          i++;
        }
        while (coords[j * width + axis] > pivot) {
          j--;
        }
        if (i <= j) {
          swap(coords, width, i, j);
          i++;
          j--;
        }
      }
      if (k <= j) {
        hi = j;
      } else if (k >= i) {
        lo = i;
      } else {
        return;
      }
    }
  }

  private void swap(double[] coords, int width, int i, int j) {
    Group t = points[i];
    points[i] = points[j];
    points[j] = t;
    for (int c = 0; c < width; c++) {
      double x = coords[i * width + c];
      coords[i * width + c] = coords[j * width + c];
      coords[j * width + c] = x;
    }
  }

  /**
   * Returns the axis of widest spread on the scale over [from, to), judged on at most 64 groups
   * spread evenly over the range: the split need not be the best, only good, and looking at every
   * group at every level would make building O(n log n) in coordinates read per level.
   */
  private int widestSpread(double[] coords, int from, int to) {
    int width = dims + 1;
    int stride = Math.max(1, (to - from) / 64);
    int best = 0;
    double bestSpread = -1;
    for (int axis = 0; axis < width; axis++) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = from; k < to; k += stride) {
        double v = coords[k * width + axis];
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      double spread = (max - min) * (axis < dims ? factors[axis] : 1);
      if (spread > bestSpread) {
        bestSpread = spread;
        best = axis;
      }
    }
    return best;
  }
}
