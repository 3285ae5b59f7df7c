package org.stowage.scheduler.slurm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.ProcessFixtures.contents;
import static org.stowage.scheduler.slurm.SlurmFixtures.WAIT;
import static org.stowage.scheduler.slurm.SlurmFixtures.jobs;
import static org.stowage.scheduler.slurm.SlurmFixtures.liveJobs;
import static org.stowage.scheduler.slurm.SlurmFixtures.state;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.ProcessFixtures;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/** The Slurm cluster's SPI against a real Slurm: allocs, steps, keepalive, free, close. */
@Timeout(90)
class SlurmClusterTest {

  private static final Resources ONE_CPU =
      Resources.of(Resources.CPU, 1, Resources.MEM, 256 * Resources.MiB);

  @TempDir Path tmp;
  private SlurmCluster cluster;

  @BeforeEach
  void start() {
    SlurmFixtures.requireSlurm();
    cluster = SlurmFixtures.cluster(tmp.resolve("shared"));
  }

  @AfterEach
  void closeAndCheckNothingIsLeft() {
    if (cluster == null) {
      return;
    }
    cluster.close();
    await().atMost(WAIT).until(() -> liveJobs(cluster.jobNamePrefix()).isEmpty());
    assertEquals(List.of(), contents(tmp.resolve("shared")), "directories left behind");
  }

  private static long millisSince(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void moreThanTheLargestNodeIsNeverAllocatedAndSubmitsNoJob() throws Exception {
    Resources node = cluster.largestNode();
    Resources tooMany = Resources.of(Resources.CPU, node.get(Resources.CPU) + 1);

    Admission a = cluster.canAllocate(tooMany);
    Admission gpu = cluster.canAllocate(Resources.of(Resources.CPU, 1, "gpu", 1));
    CompletableFuture<Alloc> refused = cluster.allocate(new Requirements(tooMany, 0), Labels.empty());

    assertFalse(a.possible());
    assertEquals("the largest Slurm node has " + node, a.reason());
    assertEquals("the largest Slurm node has {cpu:4 mem:8GiB}", a.reason(),
        "the local test cluster's nodes are 4 cpus and 8 GiB");
    assertFalse(gpu.possible());
    assertTrue(gpu.reason().endsWith("and no gpu"), gpu.reason());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> refused.get(5, TimeUnit.SECONDS));
    AllocationException ae = assertInstanceOf(AllocationException.class, e.getCause());
    assertEquals(AllocationException.Kind.NEVER, ae.kind());
    assertEquals(List.of(), jobs(cluster.jobNamePrefix(), "all"), "a job was submitted");
    assertTrue(cluster.canAllocate(node).possible());
  }

  @Test
  void anAllocRunsStepsKeepsAliveAndIsFreedOnce() throws Exception {
    long t0 = System.nanoTime();
    Alloc alloc = cluster.allocate(new Requirements(ONE_CPU, 1), Labels.empty())
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long allocMs = millisSince(t0);
    long jobId = SlurmFixtures.jobId(alloc.id());
    assertEquals(Resources.of(Resources.CPU, 2, Resources.MEM, 512 * Resources.MiB),
        alloc.resources(), "max() of the requirements, in whole cpus and MiB");
    assertEquals("RUNNING", state(jobId));

    t0 = System.nanoTime();
    Duration interval = alloc.keepalive().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long keepaliveMs = millisSince(t0);
    assertEquals(Duration.ofMillis(500), interval);

    t0 = System.nanoTime();
    Exec exec = alloc.start(new ExecRequest("e1", "echo", new ExecConfig(List.of("sh", "-c",
        "echo \"hello $WHO\"; echo oops >&2; echo $SLURM_JOB_ID > out/job.txt; exit 3"),
        Map.of("WHO", "slurm")), ONE_CPU, Fileset.empty()));
    ExecResult r = exec.result().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long stepMs = millisSince(t0);
    assertEquals(3, r.exitCode());
    assertEquals("hello slurm\n", r.stdout());
    assertTrue(r.stderr().contains("oops\n"), r.stderr());
    assertEquals(jobId + "\n", ProcessFixtures.read(alloc.repository(),
        r.outputs().files().get("job.txt")), "the step runs inside the alloc's job");
    System.out.printf("slurm latencies from Java: alloc %d ms, keepalive %d ms, step %d ms%n",
        allocMs, keepaliveMs, stepMs);

    CompletableFuture<Void> freed = alloc.free();
    assertSame(freed, alloc.free(), "free() is idempotent");
    freed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(List.of("", "CANCELLED", "COMPLETING").contains(state(jobId)), state(jobId));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> alloc.keepalive().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(AllocLostException.class, e.getCause());
    assertThrows(AllocLostException.class, () -> alloc.start(new ExecRequest("e2", "late",
        new ExecConfig(List.of("true"), Map.of()), ONE_CPU, Fileset.empty())));
    assertEquals(List.of(), contents(tmp.resolve("shared")));
  }

  @Test
  void aCancelledJobIsReportedLostByKeepaliveAndByItsRunningSteps() throws Exception {
    Alloc alloc = cluster.allocate(new Requirements(ONE_CPU, 0), Labels.empty())
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long jobId = SlurmFixtures.jobId(alloc.id());
    Exec exec = alloc.start(new ExecRequest("e1", "sleeper",
        new ExecConfig(List.of("sleep", "600"), Map.of()), ONE_CPU, Fileset.empty()));
    await().atMost(WAIT).until(() -> SlurmFixtures.run("squeue", "-h", "-s", "-j",
        Long.toString(jobId), "-o", "%i").out().contains(jobId + ".0"));

    SlurmFixtures.run("scancel", Long.toString(jobId));

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> exec.result().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(AllocLostException.class, e.getCause());
    e = assertThrows(ExecutionException.class,
        () -> alloc.keepalive().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(AllocLostException.class, e.getCause());
    alloc.free().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void cancellingAPendingAllocationWithdrawsItsJob() throws Exception {
    Resources wholeNode = cluster.largestNode();
    int nodes = SlurmFixtures.nodes().split("\n").length;
    List<Alloc> filling = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      filling.add(cluster.allocate(new Requirements(wholeNode, 0), Labels.empty())
          .get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
    CompletableFuture<Alloc> waiting =
        cluster.allocate(new Requirements(ONE_CPU, 0), Labels.empty());
    await().atMost(WAIT).until(() -> !jobs(cluster.jobNamePrefix(), "PD").isEmpty());
    assertFalse(waiting.isDone());

    waiting.cancel(true);

    await().atMost(WAIT).until(() -> jobs(cluster.jobNamePrefix(), "PD").isEmpty());
    assertEquals(nodes, liveJobs(cluster.jobNamePrefix()).size(), "only the filling jobs run");
    for (Alloc a : filling) {
      a.free().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    assertTrue(Files.isDirectory(tmp.resolve("shared")));
  }
}
