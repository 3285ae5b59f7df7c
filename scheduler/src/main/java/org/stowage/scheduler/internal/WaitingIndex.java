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
 * The groups of one priority that name the same resources form a {@link ShapeTier}, whose groups
 * are the points of k-d trees over their needs ({@link ShapeTree}), each node holding the box of
 * its subtree and how many of its groups have tasks. A fill asks, again and again, for the group
 * that fits the room left and leaves the smallest leftover (L2 norm on the packer's scale): the
 * search skips every subtree whose box has no point that fits, or whose nearest point could not
 * beat the best found, so a room that nothing fits costs a few node visits, however many distinct
 * shapes wait.
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

  /** Tasks of one priority and need, in the order they joined. */
  static final class Group {
    final int priority;
    final double[] need;
    final long seq;
    final ShapeTier tier;
    /** The index the group belongs to: a task's {@code waitingIn} may name another index's. */
    final WaitingIndex owner;
    /** The L1 norm of the need on the scale of the last {@link #rescaled}; orders the head. */
    double size;
    private final ArrayDeque<TaskRecord> tasks = new ArrayDeque<>(2);
    private int count;
    /** The run holding the group, or null while it is in the tier's buffer. */
    @Nullable ShapeTree run;
    int position = -1;
    private boolean inHeap;

    private Group(WaitingIndex owner, int priority, double[] need, long seq, ShapeTier tier) {
      this.owner = owner;
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

  private final Packer packer;
  private final Map<Shape, Group> byShape = new HashMap<>();
  /** Tiers by priority, then by the resources they name. */
  private final TreeMap<Integer, List<ShapeTier>> tiers = new TreeMap<>();
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
      ShapeTier tier = tier(priority, maskOf(t.need));
      g = new Group(this, priority, t.need, seq++, tier);
      g.size = packer.l1(g.need);
      byShape.put(key, g);
      tier.added(g);
    }
    if (t.staleIn == g) {
      g.tasks.removeFirstOccurrence(t);  // its old place: it joins again at the end
    }
    t.staleIn = null;
    g.tasks.add(t);
    t.waitingIn = g;
    g.count++;
    size++;
    ShapeTier tier = g.tier;
    tier.counted(t.need, +1);
    if (g.count == 1) {
      nonEmpty(g);
    }
  }

  /** Removes {@code t} if it waits in this index; returns whether it did. */
  boolean remove(TaskRecord t) {
    Group g = t.waitingIn;
    if (g == null || g.owner != this) {
      return false;  // not waiting, or waiting in another index
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
    g.tier.counted(t.need, -1);
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
    for (List<ShapeTier> list : tiers.values()) {
      for (ShapeTier tier : new ArrayList<>(list)) {
        for (Group g : tier.groups()) {
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
  List<ShapeTier> tiers() {
    List<ShapeTier> out = new ArrayList<>();
    for (List<ShapeTier> list : tiers.values()) {
      out.addAll(list);
    }
    return out;
  }

  // ---------------------------------------------------------------- fills

  /** Returns whether some waiting task fits in {@code room}. */
  boolean anyFits(double[] room) {
    for (List<ShapeTier> list : tiers.values()) {
      for (ShapeTier tier : list) {
        ShapeTree.Best b = new ShapeTree.Best();
        b.any = true;
        tier.best(room, b);
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
      ShapeTree.Best b = best(left, eligible, within);
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
      ShapeTree.Best a = first.best(left, all, null);
      ShapeTree.Best b = second.best(left, all, null);
      Group ga = a.group;
      Group gb = b.group;
      if (ga == null && gb == null) {
        break;
      }
      boolean takeFirst = gb == null || (ga != null && (ga.priority != gb.priority
          ? ga.priority < gb.priority
          : a.score != b.score ? a.score < b.score : !ShapeTree.better(first.packer, gb, ga)));
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
    for (List<ShapeTier> list : tiers.values()) {
      for (ShapeTier tier : list) {
        if (tier.tasks() == 0) {
          continue;
        }
        if (min == null) {
          min = new double[tier.dims];
          Arrays.fill(min, Double.POSITIVE_INFINITY);
        } else if (min.length < tier.dims) {
          min = Arrays.copyOf(min, tier.dims);  // the tiers before need none of the new ones
        }
        for (int i = 0; i < min.length; i++) {
          min[i] = Math.min(min[i], i < tier.dims ? tier.smallest(i) : 0);
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
  private ShapeTree.Best best(double[] left, IntPredicate eligible, double @Nullable [] within) {
    for (List<ShapeTier> list : tiers.values()) {
      ShapeTree.Best b = new ShapeTree.Best();
      b.within = within;
      for (ShapeTier tier : list) {
        if (tier.tasks() > 0 && eligible.test(tier.mask)) {
          tier.best(left, b);
        }
      }
      if (b.group != null) {
        return b;  // a better priority had a task that fits
      }
    }
    return new ShapeTree.Best();
  }

  // ---------------------------------------------------------------- the widest need

  /**
   * Merges into {@code into} the largest need, dimension by dimension, of the waiting tasks of the
   * tiers that {@code eligible} takes.
   */
  void widen(double[] into, IntPredicate eligible) {
    for (List<ShapeTier> list : tiers.values()) {
      for (ShapeTier tier : list) {
        if (tier.tasks() == 0 || !eligible.test(tier.mask)) {
          continue;
        }
        for (int i = 0; i < Math.min(into.length, tier.dims); i++) {
          into[i] = tier.largest(i, into[i]);
        }
      }
    }
  }

  // ---------------------------------------------------------------- upkeep

  private ShapeTier tier(int priority, int mask) {
    List<ShapeTier> list = tiers.computeIfAbsent(priority, p -> new ArrayList<>(1));
    for (ShapeTier t : list) {
      if (t.mask == mask) {
        return t;
      }
    }
    ShapeTier t = new ShapeTier(priority, mask, packer, this::dropped);
    list.add(t);
    return t;
  }

  private void nonEmpty(Group g) {
    g.tier.nonEmpty(g);
    if (!g.inHeap) {
      rescaleIfNeeded();
      g.inHeap = true;
      heads.add(g);
      if (heads.size() > 2 * size + 64) {
        // Emptied groups leave the head's queue lazily; when no request is planned for a long
        // time nothing takes them out, so they are swept here, at an amortised O(1) a group.
        heads.removeIf(h -> {
          boolean empty = h.count == 0;
          if (empty) {
            h.inHeap = false;
          }
          return empty;
        });
      }
    }
  }

  private void emptied(Group g) {
    ShapeTier tier = g.tier;
    tier.emptied(g);
    if (tier.gone()) {
      removeTier(tier);
    }
  }

  /** Forgets an empty group its tier let go of: a task of its shape later makes a new one. */
  private void dropped(Group g) {
    byShape.remove(new Shape(g.priority, g.need));
  }

  private void removeTier(ShapeTier tier) {
    List<ShapeTier> list = tiers.get(tier.priority);
    if (list != null) {
      list.remove(tier);
      if (list.isEmpty()) {
        tiers.remove(tier.priority);
      }
    }
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
