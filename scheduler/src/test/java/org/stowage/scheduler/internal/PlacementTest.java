package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Task;

/** The pass on its own: allocs and tasks are plain vectors of (cpu, mem). */
class PlacementTest {

  /** No task is starved: every one was queued after the cutoff. */
  private static final long NONE_STARVED = Long.MIN_VALUE;

  private final Packer packer = new Packer();
  private final Placement placement = new Placement(packer);

  PlacementTest() {
    packer.widenScale(new double[] {16, 64});
  }

  @Test
  void eachTaskGoesToTheFullestAllocItFitsInEveryDimension() {
    Box roomy = box("roomy", 8, 8, 8, 8);
    Box nearlyFull = box("nearly-full", 8, 8, 2, 2);
    TaskRecord big = task("big", 0, 0, 4, 4);
    TaskRecord small = task("small", 0, 0, 2, 2);

    var plan = plan(List.of(roomy, nearlyFull), NONE_STARVED, big, small);

    assertEquals(Map.of(small, nearlyFull, big, roomy), placedOn(plan));
    assertTrue(waiting.isEmpty());
  }

  @Test
  void aTaskThatFitsNowhereDoesNotStopSmallerOnesBehindIt() {
    Box alloc = box("a", 4, 4, 4, 4);
    TaskRecord huge = task("huge", 0, 0, 8, 8);
    TaskRecord small = task("small", 0, 0, 1, 1);

    var plan = plan(List.of(alloc), NONE_STARVED, huge, small);

    assertEquals(Map.of(small, alloc), placedOn(plan));
    assertEquals(List.of(huge), waiting.remaining());
  }

  @Test
  void aLowerPriorityNumberIsPlacedFirst() {
    Box alloc = box("a", 2, 2, 2, 2);
    TaskRecord later = task("later", 5, 0, 2, 2);
    TaskRecord first = task("first", 0, 10, 2, 2);

    var plan = plan(List.of(alloc), NONE_STARVED, later, first);

    assertEquals(Map.of(first, alloc), placedOn(plan));
    assertEquals(List.of(later), waiting.remaining());
  }

  @Test
  void aStarvedTaskIsPlacedBeforeOthersWhateverItsPriority() {
    Box alloc = box("a", 2, 2, 2, 2);
    TaskRecord urgent = task("urgent", 0, 100, 2, 2);
    TaskRecord starved = task("starved", 9, 0, 2, 2);

    var plan = plan(List.of(alloc), 50, urgent, starved);

    assertEquals(Map.of(starved, alloc), placedOn(plan));
    assertEquals(List.of(urgent), waiting.remaining());
  }

  @Test
  void aStarvedTaskThatFitsNowHoldsTheAllocClosestToFittingItAndSmallOnesGoElsewhere() {
    Box busy = box("busy", 4, 4, 1, 1);       // could hold it, once its tasks end
    Box small = box("small", 2, 2, 2, 2);     // never could
    TaskRecord starved = task("starved", 0, 0, 4, 4);
    List<TaskRecord> newer = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      newer.add(task("newer-" + i, 0, 100 + i, 1, 1));
    }
    List<TaskRecord> all = new ArrayList<>(newer);
    all.add(starved);

    var plan = plan(List.of(busy, small), 50, all.toArray(new TaskRecord[0]));

    assertEquals(Map.of(starved, busy), plan.reserved());
    // Two of the newer tasks fit the other alloc; none goes on the one held.
    assertEquals(Map.of(newer.get(0), small, newer.get(1), small), placedOn(plan));
    assertEquals(Set.of(starved, newer.get(2), newer.get(3)), Set.copyOf(waiting.remaining()));
  }

  @Test
  void anAllocThatJustCameUpTakesTheTasksItsRequestWasPackedWith() {
    TaskRecord a = task("a", 0, 0, 2, 2);
    TaskRecord b = task("b", 0, 0, 2, 2);
    TaskRecord c = task("c", 0, 0, 3, 3);   // alone it would fit the room better than a or b
    Box arrived = new Box("arrived", new double[] {4, 4}, new double[] {4, 4}, 1, List.of(a, b));

    var plan = plan(List.of(arrived), NONE_STARVED, a, b, c);

    assertEquals(Map.of(a, arrived, b, arrived), placedOn(plan));
    assertEquals(List.of(c), waiting.remaining());
  }

  @Test
  void onlyTheLongestWaitingStarvedTasksComeFirstInOnePassAndOthersAreStillFilled() {
    // 40 starved tasks that fit no alloc now, each of which could hold one; 8 small tasks.
    List<Box> allocs = new ArrayList<>();
    List<TaskRecord> tasks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      allocs.add(box("a" + i, 8, 8, 1, 1));
      tasks.add(task("starved-" + i, 0, i, 5, 5));
    }
    List<TaskRecord> smalls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      smalls.add(task("small-" + i, 0, 100 + i, 1, 1));
    }
    tasks.addAll(smalls);

    var plan = plan(allocs, 50, tasks.toArray(new TaskRecord[0]));

    assertEquals(Placement.MAX_STARVED, plan.reserved().size());
    assertEquals(Set.copyOf(tasks.subList(0, Placement.MAX_STARVED)), plan.reserved().keySet());
    assertEquals(Set.copyOf(smalls), placedOn(plan).keySet());
  }

  @Test
  void theAllocsGivenAreNotChanged() {
    Box alloc = box("a", 4, 4, 4, 4);
    plan(List.of(alloc), NONE_STARVED, task("t", 0, 0, 3, 3));
    assertArrayEquals(new double[] {4, 4}, alloc.free());
  }

  @Test
  void anAllocThatNoWaitingTaskFitsIsPassedOverAndManyDistinctShapesAllFindRoom() {
    // 2,000 distinct shapes on 300 allocs, most of them nearly full: every task that fits some
    // room is placed, the leftovers are what no room fits, and no alloc is overfilled.
    java.util.SplittableRandom random = new java.util.SplittableRandom(11);
    List<Box> allocs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      allocs.add(box("a" + i, 16, 64, random.nextDouble(0, 2), random.nextDouble(0, 8)));
    }
    List<TaskRecord> tasks = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      tasks.add(task("t" + i, 0, i, random.nextDouble(0.5, 4), random.nextDouble(0.5, 16)));
    }
    var plan = plan(allocs, NONE_STARVED, tasks.toArray(new TaskRecord[0]));

    Map<Box, double[]> left = new java.util.HashMap<>();
    for (Placement.Placed<Box> p : plan.placed()) {
      double[] room = left.computeIfAbsent(p.alloc(), a -> a.free().clone());
      assertTrue(Packer.fits(p.task().need, room), p.task() + " overfills " + p.alloc());
      Packer.subtract(room, p.task().need);
    }
    for (TaskRecord t : waiting.remaining()) {
      for (Box a : allocs) {
        double[] room = left.getOrDefault(a, a.free());
        assertTrue(!Packer.fits(t.need, room), t + " was left waiting but fits " + a);
      }
    }
    assertEquals(2000, plan.placed().size() + waiting.size());
  }

  private WaitingIndex waiting = new WaitingIndex(packer);

  /** Plans a pass over {@code tasks}, those queued at or before {@code starvedBefore} starved. */
  private Placement.Plan<Box> plan(List<Box> allocs, long starvedBefore, TaskRecord... tasks) {
    waiting = new WaitingIndex(packer);
    List<TaskRecord> starved = new ArrayList<>();
    for (TaskRecord t : tasks) {
      waiting.add(t);
      if (t.queuedSince <= starvedBefore) {
        starved.add(t);
      }
    }
    starved.sort(java.util.Comparator.comparingLong(t -> t.queuedSince));
    return placement.plan(waiting, new WaitingIndex(packer), starved, allocs);
  }

  private static Map<TaskRecord, Box> placedOn(Placement.Plan<Box> plan) {
    Map<TaskRecord, Box> out = new java.util.HashMap<>();
    for (Placement.Placed<Box> p : plan.placed()) {
      out.put(p.task(), p.alloc());
    }
    return out;
  }

  static TaskRecord task(String name, int priority, long queuedSince, double cpu, double mem) {
    TaskRecord t = new TaskRecord(Task.newBuilder().name(name).command("true").priority(priority)
        .resources(Resources.of("cpu", cpu, "mem", mem)).build(),
        (cancel, callbacks) -> "placed here, never submitted", () -> { }, (status, via) -> { });
    t.need = new double[] {cpu, mem};
    t.queuedSince = queuedSince;
    return t;
  }

  private static Box box(String id, double cpu, double mem, double freeCpu, double freeMem) {
    return new Box(id, new double[] {freeCpu, freeMem}, new double[] {cpu, mem}, id.hashCode(),
        List.of());
  }

  /** An alloc: its room left and its capacity. */
  private record Box(String id, double[] free, double[] capacity, long seq,
      List<TaskRecord> promised) implements Placement.Room {
    @Override
    public String toString() {
      return id;
    }
  }
}
