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
 * <p>Waiting tasks are ordered by priority, then by size, largest first, then by how long they
 * have waited ({@link #order}). Tasks that have waited past the starvation threshold come first,
 * the longest waiting first: each goes to the alloc it fits best, or, if it fits none, holds
 * ({@linkplain Plan#reserved reserves}) the alloc that could hold it and is closest to having room
 * for it, so that smaller tasks cannot starve it. Then each other alloc, fullest first, is filled
 * by priority and shape ({@link Packer#fill}). A task that fits nowhere does not stop smaller ones
 * behind it. What is left waits, for the {@link RequestPlanner}.
 *
 * <p>Pure: no threads and no clock (the starvation cutoff is passed in), and nothing it is given
 * changes, except that placed tasks are polled from the groups it returns. The engine applies the
 * plan.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class Placement {

  /** An alloc as placement sees it. */
  interface Room {
    /** Returns the room left, by dimension; not changed by placement. */
    double[] free();

    /** Returns the whole alloc, by dimension. */
    double[] capacity();

    /** Returns the order in which the alloc was requested, to break ties. */
    long seq();
  }

  /** A task to place on an alloc. */
  record Placed<A extends Room>(TaskRecord task, A alloc) {}

  /**
   * What the pass decided.
   *
   * @param placed the tasks to place, in order, each with its alloc
   * @param reserved the starved tasks that fit no alloc now, each with the alloc it holds
   * @param waiting the tasks left waiting, starved ones first, in order
   * @param left the tasks left waiting, grouped for the request planner
   */
  record Plan<A extends Room>(List<Placed<A>> placed, Map<TaskRecord, A> reserved,
      List<TaskRecord> waiting, Packer.Groups<TaskRecord> left) {}

  private static final Comparator<TaskRecord> ORDER = Comparator
      .comparingInt((TaskRecord t) -> t.task.priority())
      .thenComparing(Comparator.comparingDouble((TaskRecord t) -> t.size).reversed())
      .thenComparingLong(t -> t.queuedSince);

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
   * Sorts waiting tasks into the order they are placed in: priority, then size on the packer's
   * scale (largest first), then how long they have waited. Sets each task's size.
   *
   * @param queue the waiting tasks; sorted in place
   */
  void order(List<TaskRecord> queue) {
    for (TaskRecord t : queue) {
      t.size = packer.size(t.need);
    }
    queue.sort(ORDER);
  }

  /**
   * Works out the pass.
   *
   * @param queue the waiting tasks, in {@linkplain #order order}; not changed
   * @param live the live allocs, oldest first; not changed
   * @param starvedBefore tasks queued at or before this time are starved
   * @return the plan
   */
  <A extends Room> Plan<A> plan(List<TaskRecord> queue, List<A> live, long starvedBefore) {
    Map<A, double[]> free = new IdentityHashMap<>();
    for (A a : live) {
      free.put(a, a.free().clone());
    }
    List<TaskRecord> starved = new ArrayList<>();
    List<TaskRecord> rest = new ArrayList<>(queue.size());
    for (TaskRecord t : queue) {
      (t.queuedSince <= starvedBefore ? starved : rest).add(t);
    }
    starved.sort(Comparator.comparingLong(t -> t.queuedSince));

    // Starved tasks first, one by one, each to the alloc it fits best, or holding one for itself.
    List<Placed<A>> placed = new ArrayList<>();
    Map<TaskRecord, A> reserved = new LinkedHashMap<>();
    Set<A> held = Collections.newSetFromMap(new IdentityHashMap<>());
    List<TaskRecord> waiting = new ArrayList<>();
    for (TaskRecord t : starved) {
      A best = null;
      double bestScore = Double.POSITIVE_INFINITY;
      for (A a : live) {
        double score = packer.fitScore(t.need, free.get(a));
        if (!held.contains(a) && score < bestScore) {
          best = a;
          bestScore = score;
        }
      }
      if (best != null) {
        Packer.subtract(free.get(best), t.need);
        placed.add(new Placed<>(t, best));
        continue;
      }
      A hold = reservation(t, live, free, held);
      if (hold != null) {
        reserved.put(t, hold);
        held.add(hold);
      }
      waiting.add(t);
    }

    // Then the rest: each alloc, fullest first, filled by priority and shape.
    Packer.Groups<TaskRecord> groups =
        new Packer.Groups<>(rest, t -> t.need, t -> t.task.priority());
    Set<TaskRecord> picked = Collections.newSetFromMap(new IdentityHashMap<>());
    if (!rest.isEmpty()) {
      List<A> allocs = new ArrayList<>(live);
      allocs.removeIf(held::contains);
      allocs.sort(Comparator.comparingDouble((A a) -> packer.size(free.get(a)))
          .thenComparingLong(Room::seq));
      for (A a : allocs) {
        double[] room = free.get(a);
        for (TaskRecord t : packer.fill(room, groups)) {
          Packer.subtract(room, t.need);
          placed.add(new Placed<>(t, a));
          picked.add(t);
        }
      }
    }
    boolean starvedWait = !waiting.isEmpty();
    for (TaskRecord t : rest) {
      if (!picked.contains(t)) {
        waiting.add(t);
      }
    }
    // The groups hold exactly the rest still waiting; starved ones waiting come first.
    Packer.Groups<TaskRecord> left = starvedWait
        ? new Packer.Groups<>(waiting, t -> t.need, t -> t.task.priority()) : groups;
    return new Plan<>(placed, reserved, waiting, left);
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
      double s = packer.shortfall(t.need, free.get(a));
      if (s < bestShort) {
        best = a;
        bestShort = s;
      }
    }
    return best;
  }
}
