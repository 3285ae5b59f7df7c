package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The waiting tasks' index alone: no engine, no threads, no clock. */
class WaitingIndexTest {

  private final Packer packer = new Packer();

  WaitingIndexTest() {
    packer.widenScale(new double[] {16, 64});
  }

  /**
   * Whatever was added, taken and put back, a fill makes the choices of a scan of every waiting
   * task: again and again, among those that fit, the best priority, then the smallest leftover,
   * then the larger, then the older shape.
   */
  @Test
  void fillChoosesAsAScanOfEveryTaskWould() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      WaitingIndex index = new WaitingIndex(packer);
      Reference plain = new Reference();
      List<TaskRecord> made = new ArrayList<>();
      int steps = 1 + random.nextInt(60);
      for (int step = 0; step < steps; step++) {
        int op = random.nextInt(10);
        if (op < 6) {
          int n = 1 + random.nextInt(op == 0 ? 400 : 20);
          for (int i = 0; i < n; i++) {
            double[] need = random.nextInt(4) == 0 && !made.isEmpty()
                ? made.get(random.nextInt(made.size())).need.clone()  // repeated shapes too
                : new double[] {round3(random.nextDouble(0.25, 8)),
                    round3(random.nextDouble(0.5, 32))};
            TaskRecord t = task("t" + made.size(), random.nextInt(3), need);
            made.add(t);
            index.add(t);
            plain.add(t);
          }
        } else if (op < 8 && !made.isEmpty()) {
          for (int i = 0; i < 1 + random.nextInt(30); i++) {
            TaskRecord t = made.get(random.nextInt(made.size()));
            assertEquals(plain.remove(t), index.remove(t), "round " + round);
          }
        } else {
          double[] room = {random.nextDouble(1, 64), random.nextDouble(4, 256)};
          List<TaskRecord> want = plain.fill(room);
          List<TaskRecord> got = index.fill(room);
          assertEquals(names(want), names(got), "round " + round + ", step " + step);
        }
        assertEquals(plain.size(), index.size(), "round " + round);
      }
    }
  }

  @Test
  void fillTakesNothingWhenNothingFits() {
    WaitingIndex index = new WaitingIndex(packer);
    index.add(task("wide", 0, new double[] {8, 1}));
    index.add(task("tall", 0, new double[] {1, 40}));
    assertEquals(List.of(), names(index.fill(new double[] {4, 32})));
    assertFalse(index.anyFits(new double[] {4, 32}));
    assertTrue(index.anyFits(new double[] {4, 48}));
    assertEquals(List.of("tall"), names(index.fill(new double[] {4, 48})));
    assertEquals(1, index.size());
  }

  @Test
  void theHeadIsTheBestPriorityThenTheLargestThenTheOldest() {
    WaitingIndex index = new WaitingIndex(packer);
    TaskRecord low = task("low", 1, new double[] {8, 8});
    TaskRecord smallEarly = task("small-early", 0, new double[] {1, 1});
    TaskRecord large = task("large", 0, new double[] {4, 4});
    TaskRecord smallLate = task("small-late", 0, new double[] {1, 1});
    for (TaskRecord t : List.of(low, smallEarly, large, smallLate)) {
      index.add(t);
    }
    List<TaskRecord> order = new ArrayList<>();
    while (index.head() != null) {
      WaitingIndex.Group g = index.headGroup();
      order.add(index.poll(g));
    }
    assertEquals(List.of(large, smallEarly, smallLate, low), order);
    assertNull(index.head());
  }

  @Test
  void aRemovedTaskIsNeverChosenAndOnePutBackIsChosenOnce() {
    WaitingIndex index = new WaitingIndex(packer);
    List<TaskRecord> tasks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      TaskRecord t = task("t" + i, 0, new double[] {1, 1});
      tasks.add(t);
      index.add(t);
    }
    for (int i = 0; i < 100; i += 2) {
      assertTrue(index.remove(tasks.get(i)));
    }
    assertFalse(index.remove(tasks.get(0)));
    index.add(tasks.get(0));
    List<TaskRecord> got = index.fill(new double[] {1000, 1000});
    assertEquals(51, got.size());
    assertEquals(51, new HashSet<>(got).size());
    assertTrue(got.contains(tasks.get(0)));
    assertTrue(got.stream().noneMatch(t -> t != tasks.get(0) && tasks.indexOf(t) % 2 == 0));
    assertTrue(index.isEmpty());
  }

  @Test
  void anIndexRemovesOnlyTheTasksThatWaitInIt() {
    // The engine keeps two indexes (tasks a request counts on, and the others); cancelling a task
    // asks the first, then the second.
    WaitingIndex unplanned = new WaitingIndex(packer);
    WaitingIndex planned = new WaitingIndex(packer);
    TaskRecord t = task("t", 0, new double[] {1, 1});
    TaskRecord u = task("u", 0, new double[] {1, 1});
    planned.add(t);
    planned.add(u);
    assertFalse(unplanned.remove(t));
    assertEquals(0, unplanned.size());
    assertEquals(2, planned.size());
    assertTrue(planned.remove(t));
    assertEquals(List.of(u), planned.remaining());
  }

  @Test
  void widenFindsTheLargestNeedOfEachResourceAmongTheTasksLeft() {
    WaitingIndex index = new WaitingIndex(packer);
    SplittableRandom random = new SplittableRandom(3);
    List<TaskRecord> tasks = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      TaskRecord t = task("t" + i, random.nextInt(2),
          new double[] {random.nextDouble(0.5, 4), random.nextDouble(0.5, 16)});
      tasks.add(t);
      index.add(t);
    }
    for (int i = 0; i < 400; i++) {
      index.remove(tasks.get(random.nextInt(tasks.size())));
    }
    double[] want = {0, 0};
    index.forEach(t -> {
      want[0] = Math.max(want[0], t.need[0]);
      want[1] = Math.max(want[1], t.need[1]);
    });
    double[] got = {0, 0};
    index.widen(got, mask -> true);
    assertArrayEquals(want, got);
  }

  @Test
  void aTaskThatNamesAResourceIsOnlyChosenByFillsThatAllowIt() {
    WaitingIndex index = new WaitingIndex(packer);
    TaskRecord gpu = task("gpu", 0, new double[] {1, 1, 1});
    TaskRecord plain = task("plain", 0, new double[] {1, 1});
    index.add(gpu);
    index.add(plain);
    List<TaskRecord> got = index.fill(new double[] {8, 8, 8}, Packer.namesOnly(new double[] {1, 1}),
        null);
    assertEquals(List.of(plain), got);
    assertSame(gpu, index.head());
  }

  static TaskRecord task(String name, int priority, double[] need) {
    TaskRecord t = PlacementTest.task(name, priority, 0, need[0], need[1]);
    t.need = need;
    return t;
  }

  /** The scan of every waiting task that the index must agree with. */
  private final class Reference {
    private final Map<TaskRecord, Long> waiting = new LinkedHashMap<>();
    private final Map<List<Double>, Long> shapeSeq = new LinkedHashMap<>();
    private long seq;

    void add(TaskRecord t) {
      shapeSeq.computeIfAbsent(key(t), k -> seq++);
      waiting.put(t, seq++);
    }

    boolean remove(TaskRecord t) {
      boolean was = waiting.remove(t) != null;
      dropShapeIfGone(t);
      return was;
    }

    int size() {
      return waiting.size();
    }

    List<TaskRecord> fill(double[] room) {
      double[] left = room.clone();
      List<TaskRecord> picked = new ArrayList<>();
      while (true) {
        TaskRecord best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (TaskRecord t : waiting.keySet()) {
          if (!Packer.fits(t.need, left)) {
            continue;
          }
          double score = packer.leftover(t.need, left);
          if (best == null || t.task.priority() < best.task.priority()
              || (t.task.priority() == best.task.priority() && (score < bestScore
              || (score == bestScore && before(t, best))))) {
            best = t;
            bestScore = score;
          }
        }
        if (best == null) {
          return picked;
        }
        Packer.subtract(left, best.need);
        picked.add(best);
        remove(best);
      }
    }

    /** Among equal leftovers: the larger shape, then the older shape, then the older task. */
    private boolean before(TaskRecord t, TaskRecord than) {
      double ts = packer.l1(t.need);
      double bs = packer.l1(than.need);
      if (ts != bs) {
        return ts > bs;
      }
      long tShape = shapeSeq.get(key(t));
      long bShape = shapeSeq.get(key(than));
      return tShape != bShape ? tShape < bShape : waiting.get(t) < waiting.get(than);
    }

    private void dropShapeIfGone(TaskRecord t) {
      List<Double> k = key(t);
      Set<List<Double>> live = new HashSet<>();
      for (TaskRecord w : waiting.keySet()) {
        live.add(key(w));
      }
      if (!live.contains(k)) {
        shapeSeq.remove(k);
      }
    }

    private List<Double> key(TaskRecord t) {
      return List.of((double) t.task.priority(), t.need[0], t.need[1]);
    }
  }

  private static double round3(double x) {
    return Math.round(x * 1000) / 1000.0;
  }

  private static List<String> names(List<TaskRecord> tasks) {
    return tasks.stream().map(t -> t.task.name()).toList();
  }
}
