package org.stowage.scheduler.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * The tasks waiting for an alloc, kept between passes, so that a pass costs what changed rather
 * than what waits. Not API.
 *
 * <p>Tasks of one priority and need form a {@link Group}: they are interchangeable for packing.
 * The groups of one priority that name the same resources form a {@link Tier}, whose groups are
 * the points of a k-d tree over their needs, each node holding the box of its subtree and how many
 * of its groups have tasks. A fill asks, again and again, for the group that fits the room left
 * and leaves the smallest leftover (L2 norm on the packer's scale): the search skips every subtree
 * whose box has no point that fits, or whose nearest point could not beat the best found, so a room
 * that nothing fits costs a few node visits, however many distinct shapes wait. Groups added since
 * a tier was built are scanned from a buffer until the tier is rebuilt, which happens when the
 * buffer or the emptied groups grow past a share of the tree (amortised logarithmic cost per
 * group).
 *
 * <p>The order tasks are taken in, where packing does not decide: a better (lower) priority first;
 * among equal leftovers, the larger group on the scale (L1 norm), then the older group; within a
 * group, the order tasks joined. {@link #head} is the first task of that order: best priority,
 * largest, oldest.
 *
 * <p>A task removed from the middle of its group's queue is dropped from it lazily: its
 * {@code waitingIn} no longer names the group, and a poll skips it; if it joins the group again
 * before that, its old place is dropped then.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class WaitingIndex {

  private static final double EPSILON = 1e-9;
  private static final int MIN_BUFFER = 32;

  /** Tasks of one priority and need, in the order they joined. */
  static final class Group {
    final int priority;
    final double[] need;
    final long seq;
    final Tier tier;
    /** The L1 norm of the need on the scale of the last {@link #rescaled}; orders the head. */
    double size;
    private final ArrayDeque<TaskRecord> tasks = new ArrayDeque<>(2);
    private int count;
    /** The run holding the group, or null while it is in the tier's buffer. */
    private @Nullable Run run;
    private int position = -1;
    private boolean inHeap;

    private Group(int priority, double[] need, long seq, Tier tier) {
      this.priority = priority;
      this.need = need;
      this.seq = seq;
      this.tier = tier;
    }

    /** Returns how many tasks the group holds. */
    int count() {
      return count;
    }

    /** Returns the group's first task, dropping removed ones; null if it holds none. */
    @Nullable TaskRecord peek() {
      TaskRecord t;
      while ((t = tasks.peek()) != null && t.waitingIn != this) {
        tasks.poll();
        if (t.staleIn == this) {
          t.staleIn = null;
        }
      }
      return t;
    }

    @Override
    public String toString() {
      return "group " + Arrays.toString(need) + " x" + count;
    }
  }

  /**
   * The groups of one priority that name the same resources: a few k-d trees ({@link Run}s) of
   * sizes that roughly double, and a small buffer of the newest groups (the logarithmic method of
   * Bentley and Saxe, 1980: adding a group costs amortised O(log² n), a search O(log² n)).
   */
  static final class Tier {
    final int priority;
    /** Bit i set: the groups name resource i. */
    final int mask;
    private final int dims;
    private final List<Run> runs = new ArrayList<>();
    private final List<Group> buffer = new ArrayList<>();
    private long tasks;
    private final double[] total;

    private Tier(int priority, int mask) {
      this.priority = priority;
      this.mask = mask;
      this.dims = 32 - Integer.numberOfLeadingZeros(mask);
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

    /** Returns whether the tier's groups name only resources that {@code kind} has some of. */
    boolean namesOnly(double[] kind) {
      for (int i = 0; i < dims; i++) {
        if ((mask & (1 << i)) != 0 && Packer.get(kind, i) <= 0) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * One static k-d tree of groups: a node is a position, the root of the subtree of [from, to) is
   * its middle; each node keeps the box of its subtree's needs and how many of its groups hold
   * tasks. Emptied groups stay until the run is rebuilt, so boxes only ever over-cover.
   */
  private static final class Run {
    final Group[] points;
    final int[] live;
    final double[] lo;
    final double[] hi;
    /**
     * The factors of a group's size as the run was built (1 / scale, by resource): the size, a
     * weighted L1 norm, is a further axis the tree may split on, and the largest size in a
     * subtree bounds from below what its groups leave of a large room.
     */
    final double[] factors;
    final double[] sizeHi;
    int emptied;

    Run(Group[] points, int dims, double[] factors) {
      this.points = points;
      this.live = new int[points.length];
      this.lo = new double[points.length * dims];
      this.hi = new double[points.length * dims];
      this.factors = factors;
      this.sizeHi = new double[points.length];
    }

    /** Returns the group's size on the run's factors. */
    double size(Group g) {
      double sum = 0;
      for (int i = 0; i < factors.length; i++) {
        sum += factors[i] * Packer.get(g.need, i);
      }
      return sum;
    }

    /** Returns the group's coordinate on axis {@code axis}: a resource, or the size past them. */
    double key(Group g, int axis) {
      return axis < factors.length ? Packer.get(g.need, axis) : size(g);
    }
  }

  private final Packer packer;
  private final Map<Shape, Group> byShape = new HashMap<>();
  /** Tiers by priority, then by the resources they name. */
  private final TreeMap<Integer, List<Tier>> tiers = new TreeMap<>();
  private final PriorityQueue<Group> heads = new PriorityQueue<>(Comparator
      .comparingInt((Group g) -> g.priority)
      .thenComparing(Comparator.comparingDouble((Group g) -> g.size).reversed())
      .thenComparingLong(g -> g.seq));
  private int scaleVersion;
  private long seq;
  private int size;

  /**
   * Creates an empty index on {@code packer}'s scale.
   *
   * @param packer the packing math, whose scale orders the head and scores the fits
   */
  WaitingIndex(Packer packer) {
    this.packer = packer;
    this.scaleVersion = packer.scaleVersion();
  }

  /** Returns how many tasks wait. */
  int size() {
    return size;
  }

  /** Returns true if no task waits. */
  boolean isEmpty() {
    return size == 0;
  }

  /** Adds {@code t}, by its {@code need} and priority; it must not wait here already. */
  void add(TaskRecord t) {
    if (t.waitingIn != null) {
      throw new IllegalStateException(t.task + " already waits");
    }
    int priority = t.task.priority();
    Shape key = new Shape(priority, t.need);
    Group g = byShape.get(key);
    if (g == null) {
      Tier tier = tier(priority, maskOf(t.need));
      g = new Group(priority, t.need, seq++, tier);
      g.size = packer.l1(g.need);
      byShape.put(key, g);
      tier.buffer.add(g);
    }
    if (t.staleIn == g) {
      g.tasks.removeFirstOccurrence(t);  // its old place: it joins again at the end
    }
    t.staleIn = null;
    g.tasks.add(t);
    t.waitingIn = g;
    g.count++;
    size++;
    Tier tier = g.tier;
    tier.tasks++;
    for (int i = 0; i < tier.dims; i++) {
      tier.total[i] += Packer.get(t.need, i);
    }
    if (g.count == 1) {
      nonEmpty(g);
    }
    if (tier.buffer.size() > MIN_BUFFER) {
      flushBuffer(tier);
    }
  }

  /** Removes {@code t} if it waits here; returns whether it did. */
  boolean remove(TaskRecord t) {
    Group g = t.waitingIn;
    if (g == null) {
      return false;
    }
    t.waitingIn = null;
    if (g.tasks.peekFirst() == t) {
      g.tasks.pollFirst();
    } else if (g.tasks.peekLast() == t) {
      g.tasks.pollLast();
    } else {
      t.staleIn = g;
    }
    taken(g, t);
    return true;
  }

  /** Takes the first task of {@code g}, which must hold one. */
  TaskRecord poll(Group g) {
    TaskRecord t = g.peek();
    if (t == null) {
      throw new IllegalStateException(g + " holds no task");
    }
    g.tasks.poll();
    t.waitingIn = null;
    taken(g, t);
    return t;
  }

  private void taken(Group g, TaskRecord t) {
    g.count--;
    size--;
    Tier tier = g.tier;
    tier.tasks--;
    for (int i = 0; i < tier.dims; i++) {
      tier.total[i] -= Packer.get(t.need, i);
    }
    if (tier.tasks == 0) {
      Arrays.fill(tier.total, 0);  // no rounding left over
    }
    if (g.count == 0) {
      g.tasks.clear();
      emptied(g);
    }
  }

  /** Returns the first task in order (best priority, largest, oldest), or null if none waits. */
  @Nullable TaskRecord head() {
    Group g = headGroup();
    return g == null ? null : g.peek();
  }

  /** Returns the group of the {@link #head}, or null if none waits. */
  @Nullable Group headGroup() {
    rescaleIfNeeded();
    Group g;
    while ((g = heads.peek()) != null && g.count == 0) {
      heads.poll();
      g.inHeap = false;
    }
    return g;
  }

  /** Calls {@code action} with every waiting task, group by group. */
  void forEach(Consumer<TaskRecord> action) {
    for (List<Tier> list : tiers.values()) {
      for (Tier tier : new ArrayList<>(list)) {
        for (Group g : groups(tier)) {
          for (TaskRecord t : new ArrayList<>(g.tasks)) {
            if (t.waitingIn == g) {
              action.accept(t);
            }
          }
        }
      }
    }
  }

  /** Returns the waiting tasks, group by group. */
  List<TaskRecord> remaining() {
    List<TaskRecord> out = new ArrayList<>(size);
    forEach(out::add);
    return out;
  }

  /** Returns the tiers, best priority first; the caller must not change them. */
  List<Tier> tiers() {
    List<Tier> out = new ArrayList<>();
    for (List<Tier> list : tiers.values()) {
      out.addAll(list);
    }
    return out;
  }

  // ---------------------------------------------------------------- fills

  /** Returns whether some waiting task fits in {@code room}. */
  boolean anyFits(double[] room) {
    for (List<Tier> list : tiers.values()) {
      for (Tier tier : list) {
        Best b = new Best();
        b.any = true;
        best(tier, room, b);
        if (b.group != null) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Chooses tasks for one alloc with {@code room} free: again and again, among the waiting tasks
   * that still fit, those of the best (lowest) priority, and of them the one that leaves the
   * smallest leftover by L2 norm on the scale. This is the bin-centric "norm-based greedy" of
   * "Heuristics for Vector Bin Packing" (Microsoft Research, 2011): it lines shapes up across
   * dimensions, where placing tasks one by one in size order (first-fit decreasing) leaves one
   * dimension full and another half empty.
   *
   * <p>The chosen tasks are taken out of the index.
   *
   * @param room the room to fill; not changed
   * @param eligible which tiers to choose from, by their mask of named resources
   * @param within if not null, only tasks that also fit in it are chosen
   * @return the chosen tasks, in the order chosen
   */
  List<TaskRecord> fill(double[] room, IntPredicate eligible, double @Nullable [] within) {
    double[] left = room.clone();
    List<TaskRecord> picked = new ArrayList<>();
    while (size > 0) {
      Best b = best(left, eligible, within);
      if (b.group == null) {
        break;
      }
      Packer.subtract(left, b.group.need);
      picked.add(poll(b.group));
    }
    return picked;
  }

  /** Like {@link #fill(double[], IntPredicate, double[])}, from every tier. */
  List<TaskRecord> fill(double[] room) {
    return fill(room, mask -> true, null);
  }

  /**
   * Like {@link #fill(double[])}, choosing from two indexes at once as if they were one: each
   * pick is the best over both (the better priority, then the smaller leftover, then the larger,
   * then {@code first}'s).
   */
  static List<TaskRecord> fill(double[] room, WaitingIndex first, WaitingIndex second) {
    double[] left = room.clone();
    List<TaskRecord> picked = new ArrayList<>();
    IntPredicate all = mask -> true;
    while (first.size > 0 || second.size > 0) {
      Best a = first.best(left, all, null);
      Best b = second.best(left, all, null);
      Group ga = a.group;
      Group gb = b.group;
      if (ga == null && gb == null) {
        break;
      }
      boolean takeFirst = gb == null || (ga != null && (ga.priority != gb.priority
          ? ga.priority < gb.priority
          : a.score != b.score ? a.score < b.score : !first.better(gb, ga)));
      WaitingIndex from = takeFirst ? first : second;
      Group g = takeFirst ? ga : gb;
      Packer.subtract(left, g.need);
      picked.add(from.poll(g));
    }
    return picked;
  }

  /**
   * Returns the smallest need, dimension by dimension, that a waiting task could have (a bound
   * that may lag behind the tasks taken); null if none waits. A room it does not fit holds no task.
   */
  double @Nullable [] smallest() {
    double[] min = null;
    for (List<Tier> list : tiers.values()) {
      for (Tier tier : list) {
        if (tier.tasks == 0) {
          continue;
        }
        if (min == null) {
          min = new double[tier.dims];
          Arrays.fill(min, Double.POSITIVE_INFINITY);
        } else if (min.length < tier.dims) {
          min = Arrays.copyOf(min, tier.dims);  // the tiers before need none of the new ones
        }
        for (int i = 0; i < min.length; i++) {
          double m = i < tier.dims ? Double.POSITIVE_INFINITY : 0;
          for (Run run : tier.runs) {
            int root = run.points.length >>> 1;
            if (run.live[root] > 0 && i < tier.dims) {
              m = Math.min(m, run.lo[root * tier.dims + i]);
            }
          }
          for (Group g : tier.buffer) {
            if (g.count > 0) {
              m = Math.min(m, Packer.get(g.need, i));
            }
          }
          min[i] = Math.min(min[i], m);
        }
      }
    }
    if (min != null) {
      for (int i = 0; i < min.length; i++) {
        if (min[i] == Double.POSITIVE_INFINITY) {
          min[i] = 0;
        }
      }
    }
    return min;
  }

  /** Returns the best group for {@code left}: of the best priority that has one that fits. */
  private Best best(double[] left, IntPredicate eligible, double @Nullable [] within) {
    for (List<Tier> list : tiers.values()) {
      Best b = new Best();
      b.within = within;
      for (Tier tier : list) {
        if (tier.tasks > 0 && eligible.test(tier.mask)) {
          best(tier, left, b);
        }
      }
      if (b.group != null) {
        return b;  // a better priority had a task that fits
      }
    }
    return new Best();
  }

  /** The best group found so far by a search, with its leftover. */
  private static final class Best {
    @Nullable Group group;
    double score = Double.POSITIVE_INFINITY;
    /** Any group that fits will do: stop at the first. */
    boolean any;
    /** If set, only groups that also fit in it count. */
    double @Nullable [] within;
  }

  /** Looks for a group of {@code tier} that fits {@code left} better than {@code b}'s. */
  private void best(Tier tier, double[] left, Best b) {
    consolidate(tier);
    int d = tier.dims;
    double[] w = new double[d];
    for (int i = 0; i < d; i++) {
      w[i] = packer.weight(i);
    }
    // The leftover in the resources the tier's groups do not name: all of the room.
    double rest = 0;
    for (int i = d; i < left.length; i++) {
      rest += left[i] * left[i] * packer.weight(i);
    }
    for (Run run : tier.runs) {
      int root = run.points.length >>> 1;
      if (run.live[root] > 0 && boxFits(d, run, root, left)) {
        Query q = new Query(run, d, left, w, rest);
        search(q, 0, run.points.length, q.lowerBound(root), b);
        if (b.any && b.group != null) {
          return;
        }
      }
    }
    for (Group g : tier.buffer) {
      consider(g, left, w, rest, b);
    }
  }

  /** A search of one run for one room: what its bounds need, worked out once. */
  private static final class Query {
    final Run run;
    final int d;
    final double[] left;
    final double[] w;
    final double rest;
    /** The room's size on the run's factors. */
    final double leftSize;
    /** The Cauchy–Schwarz denominator: the sum of factor² / weight. */
    final double den;

    Query(Run run, int d, double[] left, double[] w, double rest) {
      this.run = run;
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
  private void search(Query q, int from, int to, double bound, Best b) {
    if (bound > b.score) {
      return;
    }
    Run run = q.run;
    int mid = (from + to) >>> 1;
    consider(run.points[mid], q.left, q.w, q.rest, b);
    if (b.any && b.group != null) {
      return;
    }
    int lo = (from + mid) >>> 1;
    int hi = (mid + 1 + to) >>> 1;
    boolean hasLo = mid > from && run.live[lo] > 0 && boxFits(q.d, run, lo, q.left);
    boolean hasHi = to > mid + 1 && run.live[hi] > 0 && boxFits(q.d, run, hi, q.left);
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

  private void consider(Group g, double[] left, double[] w, double rest, Best b) {
    if (g.count == 0) {
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
    if (cur == null || score < b.score || (score == b.score && better(g, cur))) {
      b.group = g;
      b.score = score;
    }
  }

  /** Of two groups that fit equally well: the larger on the scale, then the older. */
  private boolean better(Group g, Group than) {
    double gs = packer.l1(g.need);
    double ts = packer.l1(than.need);
    return gs != ts ? gs > ts : g.seq < than.seq;
  }

  /** Returns whether the smallest corner of the node's box fits in {@code left}. */
  private static boolean boxFits(int d, Run run, int node, double[] left) {
    int base = node * d;
    for (int i = 0; i < d; i++) {
      double have = i < left.length ? left[i] : 0;
      if (run.lo[base + i] > have + EPSILON * Math.max(1, have)) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- the widest need

  /**
   * Merges into {@code into} the largest need, dimension by dimension, of the waiting tasks of the
   * tiers that {@code eligible} takes.
   */
  void widen(double[] into, IntPredicate eligible) {
    for (List<Tier> list : tiers.values()) {
      for (Tier tier : list) {
        if (tier.tasks == 0 || !eligible.test(tier.mask)) {
          continue;
        }
        for (int i = 0; i < Math.min(into.length, tier.dims); i++) {
          for (Run run : tier.runs) {
            into[i] = largest(tier, run, i, 0, run.points.length, into[i]);
          }
          for (Group g : tier.buffer) {
            if (g.count > 0) {
              into[i] = Math.max(into[i], Packer.get(g.need, i));
            }
          }
        }
      }
    }
  }

  private static double largest(Tier tier, Run run, int dim, int from, int to, double best) {
    if (from >= to) {
      return best;
    }
    int mid = (from + to) >>> 1;
    if (run.live[mid] == 0 || run.hi[mid * tier.dims + dim] <= best) {
      return best;
    }
    Group g = run.points[mid];
    double b = best;
    if (g.count > 0) {
      b = Math.max(b, Packer.get(g.need, dim));
    }
    b = largest(tier, run, dim, mid + 1, to, b);
    return largest(tier, run, dim, from, mid, b);
  }

  // ---------------------------------------------------------------- upkeep

  private Tier tier(int priority, int mask) {
    List<Tier> list = tiers.computeIfAbsent(priority, p -> new ArrayList<>(1));
    for (Tier t : list) {
      if (t.mask == mask) {
        return t;
      }
    }
    Tier t = new Tier(priority, mask);
    list.add(t);
    return t;
  }

  private void nonEmpty(Group g) {
    Run run = g.run;
    if (run != null) {
      run.emptied--;
      adjust(run, g.position, +1);
    }
    if (!g.inHeap) {
      rescaleIfNeeded();
      g.inHeap = true;
      heads.add(g);
    }
  }

  private void emptied(Group g) {
    Run run = g.run;
    if (run == null) {
      return;  // in the buffer, which is small: dropped when the buffer becomes a run
    }
    run.emptied++;
    adjust(run, g.position, -1);
    if (run.emptied > MIN_BUFFER && run.emptied > run.points.length / 2) {
      Tier tier = g.tier;
      tier.runs.remove(run);
      List<Group> keep = new ArrayList<>(run.points.length - run.emptied);
      for (Group p : run.points) {
        p.run = null;
        if (p.count > 0) {
          keep.add(p);
        } else {
          drop(p);
        }
      }
      addRun(tier, keep);
    }
  }

  /** Forgets an empty group: a task of its shape that comes later makes a new one. */
  private void drop(Group g) {
    byShape.remove(new Shape(g.priority, g.need));
    g.position = -1;
  }

  /** Adds {@code delta} to the live count of every node from the root down to {@code position}. */
  private static void adjust(Run run, int position, int delta) {
    int from = 0;
    int to = run.points.length;
    while (from < to) {
      int mid = (from + to) >>> 1;
      run.live[mid] += delta;
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

  private static List<Group> groups(Tier tier) {
    List<Group> out = new ArrayList<>();
    for (Run run : tier.runs) {
      for (Group g : run.points) {
        if (g.count > 0) {
          out.add(g);
        }
      }
    }
    for (Group g : tier.buffer) {
      if (g.count > 0) {
        out.add(g);
      }
    }
    return out;
  }

  /** Turns the buffer into a run, merging runs of about its size, as binary counting carries. */
  private void flushBuffer(Tier tier) {
    List<Group> groups = new ArrayList<>();
    for (Group g : tier.buffer) {
      if (g.count > 0) {
        groups.add(g);
      } else {
        drop(g);
      }
    }
    tier.buffer.clear();
    addRun(tier, groups);
  }

  private void addRun(Tier tier, List<Group> groups) {
    List<Group> merged = new ArrayList<>(groups);
    // Runs are kept largest first; while the smallest is no larger than what is added, merge it.
    while (!tier.runs.isEmpty()) {
      Run last = tier.runs.get(tier.runs.size() - 1);
      if (last.points.length - last.emptied > 2 * merged.size()) {
        break;
      }
      tier.runs.remove(tier.runs.size() - 1);
      for (Group p : last.points) {
        p.run = null;
        if (p.count > 0) {
          merged.add(p);
        } else {
          drop(p);
        }
      }
    }
    if (merged.isEmpty()) {
      if (tier.runs.isEmpty() && tier.buffer.isEmpty() && tier.tasks == 0) {
        removeTier(tier);
      }
      return;
    }
    double[] factors = new double[tier.dims];
    for (int i = 0; i < factors.length; i++) {
      factors[i] = Math.sqrt(packer.weight(i));
    }
    Run run = new Run(merged.toArray(new Group[0]), tier.dims, factors);
    build(tier, run, 0, run.points.length);
    int at = tier.runs.size();
    while (at > 0 && tier.runs.get(at - 1).points.length < run.points.length) {
      at--;
    }
    tier.runs.add(at, run);
  }

  /**
   * Merges the tier's runs into one once the smaller ones together reach a quarter of the largest:
   * a search looks at every run, so after a burst of additions the runs are made one again, at an
   * amortised O(log n) per group added.
   */
  private void consolidate(Tier tier) {
    if (tier.runs.size() < 2 || tier.tasks == 0) {
      return;
    }
    long first = tier.runs.get(0).points.length;
    long others = 0;
    for (int i = 1; i < tier.runs.size(); i++) {
      others += tier.runs.get(i).points.length;
    }
    if (others * 4 < first) {
      return;
    }
    List<Group> all = new ArrayList<>();
    for (Run run : tier.runs) {
      for (Group p : run.points) {
        p.run = null;
        if (p.count > 0) {
          all.add(p);
        } else {
          drop(p);
        }
      }
    }
    tier.runs.clear();
    addRun(tier, all);
  }

  private void removeTier(Tier tier) {
    List<Tier> list = tiers.get(tier.priority);
    if (list != null) {
      list.remove(tier);
      if (list.isEmpty()) {
        tiers.remove(tier.priority);
      }
    }
  }

  private static void build(Tier tier, Run run, int from, int to) {
    if (from >= to) {
      return;
    }
    int d = tier.dims;
    int axis = widestSpread(run, d, from, to);
    int mid = (from + to) >>> 1;
    select(run, from, to, mid, axis);
    build(tier, run, from, mid);
    build(tier, run, mid + 1, to);
    Group g = run.points[mid];
    g.run = run;
    g.position = mid;
    int base = mid * d;
    int live = g.count > 0 ? 1 : 0;
    if (g.count == 0) {
      run.emptied++;
    }
    for (int i = 0; i < d; i++) {
      run.lo[base + i] = Packer.get(g.need, i);
      run.hi[base + i] = Packer.get(g.need, i);
    }
    run.sizeHi[mid] = run.size(g);
    if (mid > from) {
      live += merge(run, d, mid, (from + mid) >>> 1);
    }
    if (to > mid + 1) {
      live += merge(run, d, mid, (mid + 1 + to) >>> 1);
    }
    run.live[mid] = live;
  }

  private static int merge(Run run, int d, int node, int child) {
    int base = node * d;
    int cb = child * d;
    for (int i = 0; i < d; i++) {
      run.lo[base + i] = Math.min(run.lo[base + i], run.lo[cb + i]);
      run.hi[base + i] = Math.max(run.hi[base + i], run.hi[cb + i]);
    }
    run.sizeHi[node] = Math.max(run.sizeHi[node], run.sizeHi[child]);
    return run.live[child];
  }

  /**
   * Reorders [from, to) so that {@code k} holds the group it would hold if sorted by the need of
   * {@code dim}, those before it no larger and those after no smaller (Hoare's selection).
   */
  private static void select(Run run, int from, int to, int k, int axis) {
    Group[] a = run.points;
    int lo = from;
    int hi = to - 1;
    while (lo < hi) {
      double pivot = run.key(a[(lo + hi) >>> 1], axis);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (run.key(a[i], axis) < pivot) {
          i++;
        }
        while (run.key(a[j], axis) > pivot) {
          j--;
        }
        if (i <= j) {
          Group t = a[i];
          a[i] = a[j];
          a[j] = t;
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

  /** Returns the axis (a resource, or {@code dims} for the size) of widest spread on the scale. */
  private static int widestSpread(Run run, int dims, int from, int to) {
    int best = 0;
    double bestSpread = -1;
    for (int axis = 0; axis <= dims; axis++) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = from; k < to; k++) {
        double v = run.key(run.points[k], axis);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      double spread = (max - min) * (axis < dims ? run.factors[axis] : 1);
      if (spread > bestSpread) {
        bestSpread = spread;
        best = axis;
      }
    }
    return best;
  }

  /** The scale widened: the head's order is by size on the scale, so it is rebuilt. */
  private void rescaleIfNeeded() {
    if (scaleVersion == packer.scaleVersion()) {
      return;
    }
    scaleVersion = packer.scaleVersion();
    List<Group> all = new ArrayList<>(heads);
    heads.clear();
    for (Group g : byShape.values()) {
      g.size = packer.l1(g.need);
    }
    for (Group g : all) {
      g.size = packer.l1(g.need);
    }
    heads.addAll(all);
  }

  /** Returns the mask of the resources {@code need} names: bit i for resource i. */
  static int maskOf(double[] need) {
    int mask = 0;
    for (int i = 0; i < Math.min(need.length, 31); i++) {
      if (need[i] > 0) {
        mask |= 1 << i;
      }
    }
    return mask;
  }

  /** A (priority, need) key; trailing zeros do not make shapes differ. */
  private record Shape(int priority, double[] need) {
    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Shape other) || other.priority != priority) {
        return false;
      }
      int n = Math.max(need.length, other.need.length);
      for (int i = 0; i < n; i++) {
        if (Double.compare(Packer.get(need, i), Packer.get(other.need, i)) != 0) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      int h = priority;
      int last = need.length - 1;
      while (last >= 0 && need[last] == 0) {
        last--;
      }
      for (int i = 0; i <= last; i++) {
        h = 31 * h + Double.hashCode(need[i]);
      }
      return h;
    }
  }
}
