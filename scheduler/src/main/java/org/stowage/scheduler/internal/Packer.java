package org.stowage.scheduler.internal;

import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Vector bin packing over resource vectors (one slot per resource name, see {@link Dimensions}).
 * Pure functions of their arguments. Not API.
 *
 * <p>Placement is norm-based best fit: a task goes where the leftover, each dimension divided by
 * its scale (the largest amount seen of it), has the smallest L2 norm, so the fullest alloc that
 * fits wins in every dimension at once, not on one scalar ({@link WaitingIndex#fill} makes the
 * choices). New alloc requests are formed one bin at a time: the first waiting task fixes the
 * bin's unit, the cluster says how many units one alloc may hold, and the bin is filled.
 *
 * <p>Thread-safety: not thread-safe; the engine's thread owns it.
 */
final class Packer {

  private static final double EPSILON = 1e-9;

  private double[] scale = new double[0];
  /** Bumped whenever the scale changes, so that indexes built on the old scale are rebuilt. */
  private int scaleVersion;

  /** Widens the scale so that every dimension of {@code v} is covered; true if it changed. */
  boolean widenScale(double[] v) {
    boolean changed = widen(v);
    if (changed) {
      scaleVersion++;
    }
    return changed;
  }

  /** Returns a number that changes whenever the scale does. */
  int scaleVersion() {
    return scaleVersion;
  }

  private boolean widen(double[] v) {
    boolean changed = false;
    if (v.length > scale.length) {
      scale = java.util.Arrays.copyOf(scale, v.length);
      changed = true;
    }
    for (int i = 0; i < v.length; i++) {
      if (v[i] > scale[i]) {
        scale[i] = v[i];
        changed = true;
      }
    }
    return changed;
  }

  /** Returns the squared L2 norm of {@code need} on the scale: the task's size for ordering. */
  double size(double[] need) {
    double sum = 0;
    for (int i = 0; i < need.length; i++) {
      double x = norm(need[i], i);
      sum += x * x;
    }
    return sum;
  }

  /** Returns how well {@code need} fills {@code free}: lower is tighter; NaN if it does not fit. */
  double fitScore(double[] need, double[] free) {
    return fits(need, free) ? leftover(need, free) : Double.NaN;
  }

  /** Returns how far {@code need} is from fitting {@code free}: 0 if it fits. */
  double shortfall(double[] need, double[] free) {
    double sum = 0;
    for (int i = 0; i < need.length; i++) {
      double x = norm(Math.max(0, need[i] - get(free, i)), i);
      sum += x * x;
    }
    return sum;
  }

  /**
   * Forms one bin for an alloc request from the tasks left in {@code waiting} (non-empty), and
   * takes its members out of {@code waiting}.
   *
   * <p>The bin's unit (the request's {@code min}) is the largest amount, dimension by dimension,
   * that the waiting tasks of the first task's kind need (a task is of that kind if it needs no
   * resource the first task and the floor do not name: a cpu-only task may share a gpu alloc, not
   * the other way round), merged with the floor. If the cluster could never give that much, the
   * unit falls back to the first task merged with the floor, then to the first task alone. The
   * bin then holds as many units as the cluster admits, and is {@linkplain WaitingIndex#fill
   * filled}.
   *
   * @param unitFloor the scheduler's minimum alloc, merged into the bin's unit
   * @param admissible whether the cluster could ever provide an alloc of the given vector
   * @return the bin, or null (taking nothing) if not even the first task alone is admissible
   */
  @Nullable Bin formBin(WaitingIndex waiting, double[] unitFloor, Predicate<double[]> admissible) {
    TaskRecord head = waiting.head();
    if (head == null) {
      return null;
    }
    double[] first = head.need;
    // The first task's kind: the tiers that name nothing the first task and the floor do not.
    double[] kind = max(first, unitFloor);
    IntPredicate ofKind = namesOnly(kind);
    double[] unit = kind;
    double[] widest = kind.clone();
    waiting.widen(widest, ofKind);
    double @Nullable [] within = null;
    if (admissible.test(widest)) {
      unit = widest;
    } else if (!admissible.test(unit)) {
      unit = first.clone();
      if (!admissible.test(unit)) {
        return null;
      }
      within = unit;
    } else {
      within = unit;
    }
    double[] total = new double[unit.length];
    if (within == null) {
      for (ShapeTier tier : waiting.tiers()) {
        if (tier.tasks() > 0 && ofKind.test(tier.mask)) {
          add(total, tier.total());
        }
      }
    } else {
      double[] fitsIn = within;
      waiting.forEach(t -> {
        if (ofKind.test(WaitingIndex.maskOf(t.need)) && fits(t.need, fitsIn)) {
          addWithin(total, t.need);
        }
      });
    }
    int units = largestAdmissibleMultiple(unit, unitsToHold(total, unit), admissible);
    double[] room = widest(times(unit, units), total, admissible);
    List<TaskRecord> members = waiting.fill(room, ofKind, within);
    double[] sum = new double[unit.length];
    for (TaskRecord t : members) {
      addWithin(sum, t.need);
    }
    int width = Math.max(0, unitsToHold(sum, unit) - 1);
    if (!admissible.test(times(unit, width + 1))) {
      // The bin fills a room wider than whole units (a unit of 3.5 cpu in a 16-cpu machine):
      // whole units would be more than the cluster gives, so it asks for what the bin holds.
      double[] ask = max(unit, sum);
      return new Bin(ask, 0, ask.clone(), members);
    }
    return new Bin(unit, width, times(unit, width + 1), members);
  }

  /** Returns whether a mask of named resources names only resources {@code kind} has some of. */
  static IntPredicate namesOnly(double[] kind) {
    int allowed = 0;
    for (int i = 0; i < Math.min(kind.length, 31); i++) {
      if (kind[i] > 0) {
        allowed |= 1 << i;
      }
    }
    int mask = allowed;
    return m -> (m & ~mask) == 0;
  }

  /** Returns the L1 norm of {@code v} on the scale. */
  double l1(double[] v) {
    double sum = 0;
    for (int i = 0; i < v.length; i++) {
      sum += norm(v[i], i);
    }
    return sum;
  }

  /** Returns the squared L2 norm on the scale of what is left of {@code free} after {@code need}. */
  double leftover(double[] need, double[] free) {
    int n = Math.max(need.length, free.length);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double x = norm(get(free, i) - get(need, i), i);
      sum += x * x;
    }
    return sum;
  }

  /** A planned alloc request: {@code width + 1} units, credited with {@code credit}. */
  record Bin(double[] unit, int width, double[] credit, List<TaskRecord> members) {}

  private static int unitsToHold(double[] total, double[] unit) {
    int units = 1;
    for (int i = 0; i < total.length; i++) {
      double u = get(unit, i);
      if (total[i] > 0 && u > 0) {
        units = Math.max(units, (int) Math.min(1 << 20, Math.ceil(total[i] / u - EPSILON)));
      }
    }
    return units;
  }

  /**
   * Widens {@code room}, one resource after another, as far as the cluster admits and no further
   * than {@code total}: a bin packed into whole units only would leave the rest of a machine to
   * chance (a unit of 3.5 cpu packs 14 of a 16-cpu machine).
   */
  private static double[] widest(double[] room, double[] total, Predicate<double[]> admissible) {
    double[] out = room.clone();
    for (int i = 0; i < out.length; i++) {
      double most = Math.max(out[i], get(total, i));
      if (out[i] <= 0 || most <= out[i]) {
        continue;
      }
      // Double while the cluster admits it, then halve the last step 12 times: the bound found
      // is within 1/4096 of the room, whatever the demand.
      double[] probe = out.clone();
      double lo = out[i];
      double hi = lo;
      while (hi < most) {
        probe[i] = Math.min(most, hi * 2);
        if (!admissible.test(probe)) {
          hi = probe[i];
          break;
        }
        lo = probe[i];
        hi = lo;
      }
      if (hi <= lo) {
        out[i] = lo;  // all the demand is admitted
        continue;
      }
      for (int step = 0; step < 12 && hi - lo > EPSILON * Math.max(1, hi); step++) {
        double mid = (lo + hi) / 2;
        probe[i] = mid;
        if (admissible.test(probe)) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      out[i] = lo;
    }
    return out;
  }

  private static int largestAdmissibleMultiple(
      double[] unit, int most, Predicate<double[]> admissible) {
    int lo = 1;
    int hi = most;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (admissible.test(times(unit, mid))) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** Returns the weight of dimension {@code i} in a squared norm on the scale: 1 / scale². */
  double weight(int i) {
    double s = get(scale, i);
    return s > 0 ? 1 / (s * s) : 0;
  }

  /** Returns {@code x} of dimension {@code i} on the scale. */
  double norm(double x, int i) {
    double s = get(scale, i);
    return s > 0 ? x / s : 0;
  }

  static double get(double[] v, int i) {
    return i < v.length ? v[i] : 0;
  }

  static boolean fits(double[] need, double[] free) {
    for (int i = 0; i < need.length; i++) {
      double have = get(free, i);
      if (need[i] > have + EPSILON * Math.max(1, have)) {
        return false;
      }
    }
    return true;
  }

  /** Subtracts {@code need} from {@code free} in place; {@code need} must fit. */
  static void subtract(double[] free, double[] need) {
    for (int i = 0; i < need.length; i++) {
      if (need[i] != 0) {
        free[i] = Math.max(0, free[i] - need[i]);
      }
    }
  }

  /** Adds {@code need} to {@code into} in place; {@code into} must be at least as long. */
  static void add(double[] into, double[] need) {
    for (int i = 0; i < need.length; i++) {
      into[i] += need[i];
    }
  }

  /** Gives {@code need} back to {@code free} in place, never past {@code whole}. */
  static void giveBack(double[] free, double[] need, double[] whole) {
    for (int i = 0; i < Math.min(free.length, need.length); i++) {
      free[i] = Math.min(whole[i], free[i] + need[i]);
    }
  }

  /** Adds {@code need} to {@code into} in place, as far as {@code into} goes. */
  static void addWithin(double[] into, double[] need) {
    for (int i = 0; i < Math.min(into.length, need.length); i++) {
      into[i] += need[i];
    }
  }

  static double[] plus(double[] a, double[] b) {
    double[] out = java.util.Arrays.copyOf(a, Math.max(a.length, b.length));
    add(out, b);
    return out;
  }

  static double[] max(double[] a, double[] b) {
    double[] out = java.util.Arrays.copyOf(a, Math.max(a.length, b.length));
    for (int i = 0; i < b.length; i++) {
      out[i] = Math.max(out[i], b[i]);
    }
    return out;
  }

  static double[] times(double[] v, int k) {
    double[] out = v.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] *= k;
    }
    return out;
  }

  /** Returns true if every dimension of {@code big} is at least that of {@code small}. */
  static boolean covers(double[] big, double[] small) {
    return fits(small, big);
  }
}
