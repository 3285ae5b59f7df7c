package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The pass: which waiting task goes on which live alloc, and which alloc a starved task holds for
 * itself. Not API.
 *
 * <p>Tasks that have waited past the starvation threshold come first, the longest waiting first,
 * at most {@link #MAX_STARVED} of them in one pass (each costs a look at every live alloc, and a
 * backlog of hundreds of thousands may all be past the threshold; the others are filled as usual,
 * and come first in a later pass):
 * each goes to the alloc it fits best, or, if it fits none, holds ({@linkplain Plan#reserved
 * reserves}) the alloc that could hold it and is closest to having room for it, so that smaller
 * tasks cannot starve it. An alloc that just came up takes the tasks its request was packed with,
 * as they were packed. Then each other alloc with room for some waiting task, fullest first, is
 * filled by priority and shape ({@link WaitingIndex#fill}). A task that fits nowhere does not stop
 * smaller ones behind it. What is left waits in the index, for the {@link RequestPlanner}.
 *
 * <p>The cost of a pass follows what can change: the index answers "the task that fits this room
 * best" without looking at the tasks that cannot fit, and an alloc that no waiting task could fit
 * is passed over after one comparison.
 *
 * <p>Pure: no threads and no clock (who is starved is passed in). It takes the tasks it places out
 * of the index, and changes nothing else it is given. The engine applies the plan.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class Placement {

  /** The most starved tasks one pass gives first place; the longest waiting are taken. */
  static final int MAX_STARVED = 32;

  /** An alloc as placement sees it. */
  interface Room {
    /** Returns the room left, by dimension; not changed by placement. */
    double[] free();

    /** Returns the whole alloc, by dimension. */
    double[] capacity();

    /** Returns the order in which the alloc was requested, to break ties. */
    long seq();

    /** Returns the tasks the alloc was requested for, which it takes first if they still wait. */
    default List<TaskRecord> promised() {
      return List.of();
    }
  }

  /** A task to place on an alloc. */
  record Placed<A extends Room>(TaskRecord task, A alloc) {}

  /**
   * What the pass decided.
   *
   * @param placed the tasks to place, in order, each with its alloc; they are out of the index
   * @param reserved the starved tasks that fit no alloc now, each with the alloc it holds
   */
  record Plan<A extends Room>(List<Placed<A>> placed, Map<TaskRecord, A> reserved) {}

  private final Packer packer;

  /**
   * Creates the pass over {@code packer}'s scale.
   *
   * @param packer the packing math, whose scale the engine widens
   */
  Placement(Packer packer) {
    this.packer = packer;
  }

  /**
   * Works out the pass.
   *
   * @param waiting the waiting tasks that no request counts on; those placed are taken out
   * @param planned the waiting tasks that a request counts on, chosen from as if with the others;
   *     those placed are taken out
   * @param starved the waiting tasks past the starvation threshold, longest waiting first; only
   *     the first {@link #MAX_STARVED} are given first place
   * @param live the live allocs, oldest first; not changed
   * @return the plan
   */
  <A extends Room> Plan<A> plan(WaitingIndex waiting, WaitingIndex planned,
      List<TaskRecord> starved, List<A> live) {
    Map<A, double[]> free = new IdentityHashMap<>();
    List<Placed<A>> placed = new ArrayList<>();
    Map<TaskRecord, A> reserved = new LinkedHashMap<>();
    Set<A> held = Collections.newSetFromMap(new IdentityHashMap<>());

    // Starved tasks first, one by one, each to the alloc it fits best, or holding one for itself.
    for (TaskRecord t : starved.subList(0, Math.min(starved.size(), MAX_STARVED))) {
      if (held.size() == live.size()) {
        break;  // every alloc is held: no other starved task can be placed or hold one
      }
      A best = null;
      double bestScore = Double.POSITIVE_INFINITY;
      for (A a : live) {
        double score = packer.fitScore(t.need, peek(a, free));
        if (!held.contains(a) && score < bestScore) {
          best = a;
          bestScore = score;
        }
      }
      if (best != null) {
        Packer.subtract(room(best, free), t.need);
        if (!waiting.remove(t)) {
          planned.remove(t);
        }
        placed.add(new Placed<>(t, best));
        continue;
      }
      A hold = reservation(t, live, free, held);
      if (hold != null) {
        reserved.put(t, hold);
        held.add(hold);
      }
    }

    // An alloc that just came up takes the tasks it was requested for, as they were packed.
    for (A a : live) {
      if (a.promised().isEmpty() || held.contains(a)) {
        continue;
      }
      for (TaskRecord t : a.promised()) {
        double[] room = room(a, free);
        if (t.waitingIn != null && Packer.fits(t.need, room)) {
          if (!waiting.remove(t)) {
            planned.remove(t);
          }
          Packer.subtract(room, t.need);
          placed.add(new Placed<>(t, a));
        }
      }
    }

    // Then each alloc with room for some waiting task, fullest first, filled by priority and shape.
    double[] smallest = smaller(waiting.smallest(), planned.smallest());
    if (smallest == null) {
      return new Plan<>(placed, reserved);
    }
    List<A> allocs = new ArrayList<>();
    for (A a : live) {
      if (!held.contains(a) && Packer.fits(smallest, peek(a, free))) {
        allocs.add(a);
      }
    }
    allocs.sort(Comparator.comparingDouble((A a) -> packer.size(peek(a, free)))
        .thenComparingLong(Room::seq));
    for (A a : allocs) {
      if (waiting.isEmpty() && planned.isEmpty()) {
        break;
      }
      double[] room = room(a, free);
      for (TaskRecord t : WaitingIndex.fill(room, waiting, planned)) {
        Packer.subtract(room, t.need);
        placed.add(new Placed<>(t, a));
      }
    }
    return new Plan<>(placed, reserved);
  }

  /** Returns the room left on {@code a} in this pass: a copy, made when first needed. */
  private static <A extends Room> double[] room(A a, Map<A, double[]> free) {
    return free.computeIfAbsent(a, x -> x.free().clone());
  }

  /** Returns the smaller of two bounds, dimension by dimension; null if both are. */
  private static double @Nullable [] smaller(double @Nullable [] a, double @Nullable [] b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    double[] out = new double[Math.max(a.length, b.length)];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.min(Packer.get(a, i), Packer.get(b, i));
    }
    return out;
  }

  /** Returns the room left on {@code a} in this pass, for reading only. */
  private static <A extends Room> double[] peek(A a, Map<A, double[]> free) {
    double[] room = free.get(a);
    return room != null ? room : a.free();
  }

  /** Picks the live alloc that could hold {@code t} and is closest to having room for it. */
  private <A extends Room> @Nullable A reservation(TaskRecord t, List<A> live,
      Map<A, double[]> free, Set<A> taken) {
    A best = null;
    double bestShort = Double.POSITIVE_INFINITY;
    for (A a : live) {
      if (taken.contains(a) || !Packer.fits(t.need, a.capacity())) {
        continue;
      }
      double s = packer.shortfall(t.need, peek(a, free));
      if (s < bestShort) {
        best = a;
        bestShort = s;
      }
    }
    return best;
  }
}
