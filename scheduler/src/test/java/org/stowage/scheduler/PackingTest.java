package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.Workloads;

/** How few allocs a burst of tasks takes, against the lower bound no packing can beat. */
@Timeout(120)
class PackingTest {

  private static final Resources CAP = cpuMem(16, 64);

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void aBurstOfAThousandMixedTasksUsesAtMostTenPercentMoreAllocsThanTheLowerBound(long seed)
      throws Exception {
    List<Resources> sizes = Workloads.mixedSizes(seed, 1000);
    List<Task> tasks = Workloads.tasks(sizes, "mix", "true");
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(CAP).automatic().build();
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).build()) {
      scheduler.submit(tasks);
      await().atMost(Duration.ofSeconds(60))
          .until(() -> tasks.stream().allMatch(t -> t.state() == State.RUNNING));

      int used = cluster.allocs().size();
      int bound = Workloads.lowerBound(sizes, CAP);
      System.out.printf("packing seed %d: %d tasks in %d allocs, lower bound %d, ratio %.3f%n",
          seed, tasks.size(), used, bound, (double) used / bound);
      assertTrue(used <= Math.floor(1.10 * bound),
          "used " + used + " allocs for a lower bound of " + bound);
      for (FakeAlloc a : cluster.allocs()) {
        assertTrue(!a.execs().isEmpty(), a + " was granted but got no task");
      }
    }
    cluster.checkNoLeaks();
  }

  @Test
  void everyAllocIsFilledWithinItsCapacityInEveryDimension() throws Exception {
    List<Resources> sizes = Workloads.mixedSizes(7, 300);
    List<Task> tasks = Workloads.tasks(sizes, "cap", "true");
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(CAP).automatic().build();
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).build()) {
      scheduler.submit(tasks);
      await().atMost(WAIT).until(() -> tasks.stream().allMatch(t -> t.state() == State.RUNNING));
      for (FakeAlloc a : cluster.allocs()) {
        Resources used = Resources.empty();
        for (var x : a.execs()) {
          used = used.plus(x.request().resources());
        }
        assertTrue(used.fitsIn(a.resources()), a + " holds " + used);
      }
    }
  }
}
