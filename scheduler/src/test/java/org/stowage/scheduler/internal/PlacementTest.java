package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    var plan = placement.plan(ordered(big, small), List.of(roomy, nearlyFull), NONE_STARVED);

    assertEquals(Map.of(small, nearlyFull, big, roomy), placedOn(plan));
    assertTrue(plan.waiting().isEmpty());
    assertTrue(plan.left().isEmpty());
  }

  @Test
  void aTaskThatFitsNowhereDoesNotStopSmallerOnesBehindIt() {
    Box alloc = box("a", 4, 4, 4, 4);
    TaskRecord huge = task("huge", 0, 0, 8, 8);
    TaskRecord small = task("small", 0, 0, 1, 1);

    var plan = placement.plan(ordered(huge, small), List.of(alloc), NONE_STARVED);

    assertEquals(Map.of(small, alloc), placedOn(plan));
    assertEquals(List.of(huge), plan.waiting());
    assertEquals(List.of(huge), plan.left().remaining());
  }

  @Test
  void aLowerPriorityNumberIsPlacedFirst() {
    Box alloc = box("a", 2, 2, 2, 2);
    TaskRecord later = task("later", 5, 0, 2, 2);
    TaskRecord first = task("first", 0, 10, 2, 2);

    var plan = placement.plan(ordered(later, first), List.of(alloc), NONE_STARVED);

    assertEquals(Map.of(first, alloc), placedOn(plan));
    assertEquals(List.of(later), plan.waiting());
  }

  @Test
  void aStarvedTaskIsPlacedBeforeOthersWhateverItsPriority() {
    Box alloc = box("a", 2, 2, 2, 2);
    TaskRecord urgent = task("urgent", 0, 100, 2, 2);
    TaskRecord starved = task("starved", 9, 0, 2, 2);

    var plan = placement.plan(ordered(urgent, starved), List.of(alloc), 50);

    assertEquals(Map.of(starved, alloc), placedOn(plan));
    assertEquals(List.of(urgent), plan.waiting());
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
    List<TaskRecord> queue = new ArrayList<>(newer);
    queue.add(starved);
    placement.order(queue);

    var plan = placement.plan(queue, List.of(busy, small), 50);

    assertEquals(Map.of(starved, busy), plan.reserved());
    // Two of the newer tasks fit the other alloc; none goes on the one held.
    assertEquals(Map.of(newer.get(0), small, newer.get(1), small), placedOn(plan));
    assertEquals(List.of(starved, newer.get(2), newer.get(3)), plan.waiting());
    assertEquals(3, plan.left().remaining().size());
  }

  @Test
  void theAllocsGivenAreNotChanged() {
    Box alloc = box("a", 4, 4, 4, 4);
    placement.plan(ordered(task("t", 0, 0, 3, 3)), List.of(alloc), NONE_STARVED);
    assertArrayEquals(new double[] {4, 4}, alloc.free());
  }

  @Test
  void tasksAreOrderedByPriorityThenSizeLargestFirstThenTheirWait() {
    TaskRecord smallLate = task("small-late", 0, 20, 1, 1);
    TaskRecord smallEarly = task("small-early", 0, 10, 1, 1);
    TaskRecord large = task("large", 0, 30, 4, 4);
    TaskRecord low = task("low", 1, 0, 8, 8);
    List<TaskRecord> queue = new ArrayList<>(List.of(low, smallLate, large, smallEarly));
    placement.order(queue);
    assertEquals(List.of(large, smallEarly, smallLate, low), queue);
  }

  private List<TaskRecord> ordered(TaskRecord... tasks) {
    List<TaskRecord> queue = new ArrayList<>(List.of(tasks));
    placement.order(queue);
    return queue;
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
    return new Box(id, new double[] {freeCpu, freeMem}, new double[] {cpu, mem}, id.hashCode());
  }

  /** An alloc: its room left and its capacity. */
  private record Box(String id, double[] free, double[] capacity, long seq)
      implements Placement.Room {
    @Override
    public String toString() {
      return id;
    }
  }
}
