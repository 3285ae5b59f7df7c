package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;

/**
 * The README's example of a test on a fake clock, as written there, run many times: it asserts
 * right after moving time, with no waiting, so it would fail now and then if the scheduler had not
 * caught up when {@code advance} returns.
 */
@Timeout(60)
class ReadmeExampleTest {

  @RepeatedTest(50)
  void aTaskOnAFakeClockIsRequestedAfterTheDrainTimeoutAndRuns() {
    // Keep in step with README.md, "Testing with the test kit".
    FakeTimeSource time = new FakeTimeSource();
    FakeCluster cluster = FakeCluster.newBuilder()
        .maxAlloc(Resources.of("cpu", 16, "mem", 64 * Resources.GiB)).timeSource(time).build();
    try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).timeSource(time)
        .drainTimeout(Duration.ofMillis(50)).build()) {
      Task task = Task.newBuilder().command("true")
          .resources(Resources.of("cpu", 2, "mem", 4 * Resources.GiB)).build();
      scheduler.submit(List.of(task));
      time.advance(Duration.ofMillis(49));
      assertNull(cluster.pollRequest());                  // still gathering submissions
      time.advance(Duration.ofMillis(1));                 // the drain timeout has passed
      FakeCluster.Request request = cluster.pollRequest();
      assertEquals(task.resources(), request.requirements().min());
      FakeAlloc alloc = request.grant();
      time.runUntilIdle();
      assertEquals(State.RUNNING, task.state());
      alloc.running().get(0).succeed();
      time.runUntilIdle();
      assertEquals(State.DONE, task.state());
      assertTrue(task.status().succeeded());
    }
    cluster.checkNoLeaks();
  }
}
