package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeTimeSource;

/** Small helpers shared by the scheduler tests. */
final class Fixtures {

  static final Duration WAIT = Duration.ofSeconds(10);
  static final double GiB = Resources.GiB;

  private Fixtures() {}

  static Resources cpuMem(double cpu, double memGiB) {
    return Resources.of(Resources.CPU, cpu, Resources.MEM, memGiB * GiB);
  }

  static Task task(double cpu, double memGiB) {
    return task(cpu, memGiB, 0);
  }

  static Task task(double cpu, double memGiB, int priority) {
    return Task.newBuilder()
        .resources(cpuMem(cpu, memGiB))
        .priority(priority)
        .command("true")
        .build();
  }

  /** A scheduler with no minimum alloc and no drain wait, so requests match tasks exactly. */
  static Scheduler.Builder scheduler(Cluster cluster) {
    return Scheduler.newBuilder()
        .cluster(cluster)
        .minAlloc(Resources.empty())
        .drainTimeout(Duration.ZERO);
  }

  /** A scheduler on fake time, which runs it until idle each time the test moves it. */
  static Scheduler.Builder fakeTimeScheduler(Cluster cluster, FakeTimeSource time) {
    return scheduler(cluster).timeSource(time);
  }

  /** A cluster answered by hand on fake time. */
  static FakeCluster.Builder fakeTimeCluster(FakeTimeSource time) {
    return cluster().timeSource(time);
  }

  static FakeCluster.Builder cluster() {
    return FakeCluster.newBuilder().maxAlloc(cpuMem(64, 256));
  }

  /** Waits for the task to reach {@code state} (or beyond) and returns it; fails on timeout. */
  static Task reach(Task task, State state) throws Exception {
    return task.await(state).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Waits for the task to be DONE, whatever the outcome. */
  static TaskStatus done(Task task) throws Exception {
    try {
      task.await(State.DONE).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      // failed tasks complete the future exceptionally; the status says why
    }
    TaskStatus s = task.status();
    assertEquals(State.DONE, s.state(), () -> task + " is not done");
    return s;
  }
}
