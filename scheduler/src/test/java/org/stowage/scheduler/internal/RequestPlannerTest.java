package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.internal.PlacementTest.task;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.stowage.scheduler.WaitReason;

/** Request planning on its own: tasks and credits are plain vectors of (cpu, mem). */
class RequestPlannerTest {

  private final Packer packer = new Packer();
  private final RequestPlanner planner = new RequestPlanner(packer, new double[] {0, 0});

  RequestPlannerTest() {
    packer.widenScale(new double[] {16, 64});
  }

  @Test
  void tasksThatFitAPendingRequestWaitForItAndOnlyTheRestIsAskedFor() {
    List<TaskRecord> tasks = tasks(6, 1, 1);
    double[] inFlight = {4, 4};

    RequestPlanner.Plan plan = planner.plan(index(tasks), List.of(inFlight), 5, false, v -> true);

    assertEquals(List.of(tasks.subList(0, 4)), plan.credited());
    assertEquals(1, plan.requests().size());
    assertEquals(tasks.subList(4, 6), plan.requests().get(0).members());
    assertArrayEquals(new double[] {4, 4}, inFlight, "a credit given was changed");
  }

  @Test
  void theRestIsPackedIntoOneRequestForSeveralTasks() {
    List<TaskRecord> tasks = tasks(4, 1, 2);

    WaitingIndex left = index(tasks);
    RequestPlanner.Plan plan = planner.plan(left, List.of(), 5, false, v -> true);

    assertEquals(1, plan.requests().size());
    Packer.Bin bin = plan.requests().get(0);
    assertArrayEquals(new double[] {1, 2}, bin.unit());
    assertEquals(3, bin.width());
    assertArrayEquals(new double[] {4, 8}, bin.credit());
    assertEquals(tasks, bin.members());
    assertTrue(left.isEmpty());
  }

  @Test
  void atThePendingLimitTheRestWaitsForIt() {
    List<TaskRecord> tasks = tasks(3, 1, 1);
    WaitingIndex left = index(tasks);
    RequestPlanner.Plan plan = planner.plan(left, List.of(), 0, false, v -> true);
    assertTrue(plan.requests().isEmpty());
    assertEquals(tasks, left.remaining());
    assertEquals(WaitReason.PENDING_LIMIT, plan.restWait());
  }

  @Test
  void whileBackingOffNothingIsAskedForButCreditsStillCount() {
    List<TaskRecord> tasks = tasks(3, 1, 1);
    WaitingIndex left = index(tasks);
    RequestPlanner.Plan plan =
        planner.plan(left, List.of(new double[] {1, 1}), 5, true, v -> true);
    assertEquals(List.of(tasks.subList(0, 1)), plan.credited());
    assertTrue(plan.requests().isEmpty());
    assertEquals(tasks.subList(1, 3), left.remaining());
    assertEquals(WaitReason.BACKING_OFF, plan.restWait());
  }

  @Test
  void aRequestIsSizedToWhatTheClusterAdmitsAndATaskItNeverCouldIsGivenUp() {
    List<TaskRecord> tasks = new ArrayList<>(tasks(4, 1, 1));
    TaskRecord huge = task("huge", 0, 0, 32, 1);
    tasks.add(0, huge);
    // The cluster gives at most 2 cpu in one alloc.
    RequestPlanner.Plan plan = planner.plan(index(tasks), List.of(), 5, false, v -> v[0] <= 2);

    assertEquals(List.of(huge), plan.unsatisfiable());
    assertEquals(2, plan.requests().size());
    for (Packer.Bin bin : plan.requests()) {
      assertEquals(1, bin.width());
      assertEquals(2, bin.members().size());
    }
  }

  private static List<TaskRecord> tasks(int n, double cpu, double mem) {
    List<TaskRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(task("t" + i, 0, i, cpu, mem));
    }
    return out;
  }

  private WaitingIndex index(List<TaskRecord> tasks) {
    WaitingIndex index = new WaitingIndex(packer);
    tasks.forEach(index::add);
    return index;
  }
}
