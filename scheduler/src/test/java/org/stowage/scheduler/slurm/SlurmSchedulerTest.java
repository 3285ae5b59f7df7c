package org.stowage.scheduler.slurm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.ProcessFixtures.contents;
import static org.stowage.scheduler.ProcessFixtures.marker;
import static org.stowage.scheduler.ProcessFixtures.processesWith;
import static org.stowage.scheduler.ProcessFixtures.put;
import static org.stowage.scheduler.ProcessFixtures.read;
import static org.stowage.scheduler.slurm.SlurmFixtures.WAIT;
import static org.stowage.scheduler.slurm.SlurmFixtures.liveJobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;

/** Tasks run through a {@link Scheduler} on a {@link SlurmCluster}, end to end, on real Slurm. */
@Timeout(120)
class SlurmSchedulerTest {

  private static final Resources ONE_CPU =
      Resources.of(Resources.CPU, 1, Resources.MEM, 256 * Resources.MiB);

  @TempDir Path tmp;
  private FileRepository repository;
  private SlurmCluster cluster;
  private Scheduler scheduler;

  @BeforeEach
  void start() throws Exception {
    SlurmFixtures.requireSlurm();
    repository = FileRepository.open(tmp.resolve("repository"));
    cluster = SlurmFixtures.cluster(tmp.resolve("shared"));
    scheduler = SlurmFixtures.scheduler(cluster, repository).build();
  }

  @AfterEach
  void closeAndCheckNothingIsLeft() {
    if (cluster == null) {
      return;
    }
    scheduler.close();
    cluster.close();
    await().atMost(WAIT).until(() -> liveJobs(cluster.jobNamePrefix()).isEmpty());
    assertEquals(List.of(), contents(tmp.resolve("shared")), "directories left behind");
  }

  private static TaskStatus done(Task t) throws Exception {
    try {
      t.await(State.DONE).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // a failed task completes its wait exceptionally; the status says why
    }
    return t.status();
  }

  private static String text(int seed, int lines) {
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      int words = 1 + random.nextInt(6);
      for (int w = 0; w < words; w++) {
        out.append(w == 0 ? "" : " ");
        int letters = 1 + random.nextInt(8);
        for (int c = 0; c < letters; c++) {
          out.append((char) ('a' + random.nextInt(26)));
        }
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static String sorted(String data) {
    List<String> lines = new ArrayList<>(List.of(data.split("\n")));
    lines.sort(null); // LC_ALL=C sort: byte order, which for ASCII is String order
    return String.join("\n", lines) + "\n";
  }

  @Test
  void stepsReadInputsAndWriteOutputsByteForByteSeveralToAnAlloc() throws Exception {
    List<Task> tasks = new ArrayList<>();
    Map<Task, String> inputs = new HashMap<>();
    for (int i = 0; i < 8; i++) {
      String data = text(i % 4, 2_000 + 500 * (i % 4));
      FileRef ref = put(repository, data);
      Task t = Task.newBuilder()
          .name("sort-" + i)
          .exec(new ExecConfig(List.of("sh", "-c", "sort in/data.txt > out/sorted.txt"
              + " && mkdir out/upper && tr a-z A-Z < in/data.txt > \"out/upper/$NAME.txt\""
              + " && echo \"$SLURM_JOB_ID\" > out/job.txt"),
              Map.of("LC_ALL", "C", "NAME", "data-" + i)))
          .resources(ONE_CPU)
          .input("in", Fileset.of(Map.of("data.txt", ref)))
          .build();
      tasks.add(t);
      inputs.put(t, data);
    }

    scheduler.submit(tasks);

    Map<String, Integer> tasksPerJob = new HashMap<>();
    for (Task t : tasks) {
      TaskStatus s = done(t);
      assertTrue(s.succeeded(), () -> t + ": " + s.error());
      String data = inputs.get(t);
      Map<String, FileRef> out = s.result().outputs().files();
      String name = t.name().replace("sort-", "data-");
      assertEquals(Set.of("sorted.txt", "job.txt", "upper/" + name + ".txt"), out.keySet());
      assertEquals(sorted(data), read(repository, out.get("sorted.txt")));
      assertEquals(data.toUpperCase(Locale.ROOT),
          read(repository, out.get("upper/" + name + ".txt")));
      tasksPerJob.merge(read(repository, out.get("job.txt")).strip(), 1, Integer::sum);
    }
    // Eight one-cpu tasks on four-cpu nodes: packed, at most four to a job.
    assertTrue(tasksPerJob.size() < tasks.size(), "one job per task: " + tasksPerJob);
    assertTrue(tasksPerJob.values().stream().anyMatch(n -> n >= 2), tasksPerJob.toString());
    assertEquals(tasksPerJob.size(), SlurmFixtures.jobs(cluster.jobNamePrefix(), "all").size(),
        "every job Slurm ran for this cluster ran tasks: " + tasksPerJob);
    await().atMost(WAIT).until(() -> scheduler.counts().succeeded() == 8);
  }

  @Test
  void tasksOfAnAllocWhoseNodeGoesDownAreLostAndFinishOnAnotherNode() throws Exception {
    Path gate = tmp.resolve("gate");
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FileRef data = put(repository, text(10 + i, 100));
      tasks.add(Task.newBuilder().name("gated-" + i).resources(ONE_CPU)
          .exec(new ExecConfig(List.of("sh", "-c",
              "while [ ! -e \"$GATE\" ]; do sleep 0.05; done; sort in/data.txt > out/sorted.txt;"
                  + " echo \"$SLURMD_NODENAME\" > out/node.txt"),
              Map.of("GATE", gate.toString(), "LC_ALL", "C")))
          .input("in", Fileset.of(Map.of("data.txt", data)))
          .build());
    }
    scheduler.submit(tasks);
    Set<String> downed = new TreeSet<>();
    try {
      Set<String> allocs = new HashSet<>();
      for (Task t : tasks) {
        t.await(State.RUNNING).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        allocs.add(t.status().allocId());
      }
      for (String id : allocs) {
        downed.add(SlurmFixtures.node(SlurmFixtures.jobId(id)));
      }
      for (String node : downed) {
        SlurmFixtures.run("scontrol", "update", "NodeName=" + node, "State=DOWN",
            "Reason=stowage-test");
      }
      for (Task t : tasks) {
        t.await(State.LOST).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      Files.createFile(gate);

      for (int i = 0; i < tasks.size(); i++) {
        Task t = tasks.get(i);
        TaskStatus s = done(t);
        assertTrue(s.succeeded(), () -> t + ": " + s.error());
        assertTrue(s.attempt() >= 1, "attempt " + s.attempt());
        assertEquals(sorted(text(10 + i, 100)),
            read(repository, s.result().outputs().files().get("sorted.txt")));
        String node = read(repository, s.result().outputs().files().get("node.txt")).strip();
        assertTrue(!downed.contains(node), "ran again on " + node + ", which is down");
      }
      await().atMost(WAIT).until(() -> scheduler.counts().succeeded() == 3);
      assertEquals(3, scheduler.counts().attemptsLost());
      assertTrue(scheduler.counts().allocsDead() >= 1);
    } finally {
      for (String node : downed) {
        SlurmFixtures.run("scontrol", "update", "NodeName=" + node, "State=RESUME");
      }
      await().atMost(WAIT).until(() -> SlurmFixtures.nodes().lines()
          .allMatch(l -> l.endsWith(" idle") || l.endsWith(" mixed") || l.endsWith(" allocated")));
    }
  }

  @Test
  void aTimedOutTaskLosesItsStepButNotItsAlloc() throws Exception {
    String marker = marker();
    Task sleepy = Task.newBuilder().name("sleepy").resources(ONE_CPU)
        .timeout(Duration.ofSeconds(2))
        .command("sh", "-c", "sleep " + marker + " & sleep " + marker + "; wait")
        .build();
    // A neighbour in the same alloc keeps it busy, so that the scheduler does not free it.
    Path gate = tmp.resolve("gate");
    Task neighbour = Task.newBuilder().name("neighbour").resources(ONE_CPU)
        .exec(new ExecConfig(List.of("sh", "-c",
            "while [ ! -e \"$GATE\" ]; do sleep 0.05; done"), Map.of("GATE", gate.toString())))
        .build();

    scheduler.submit(List.of(sleepy, neighbour));
    sleepy.await(State.RUNNING).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    neighbour.await(State.RUNNING).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long jobId = SlurmFixtures.jobId(sleepy.status().allocId());
    await().atMost(WAIT).until(() -> processesWith(marker).size() >= 3); // srun, sh, 2 x sleep
    TaskStatus s = done(sleepy);

    assertEquals(TaskException.Kind.TIMED_OUT, s.error().kind());
    await().atMost(WAIT).until(() -> processesWith(marker).isEmpty());
    assertEquals("RUNNING", SlurmFixtures.state(jobId), "the alloc stays up");
    assertEquals(jobId, SlurmFixtures.jobId(neighbour.status().allocId()));
    Files.createFile(gate);
    assertTrue(done(neighbour).succeeded());
  }
}
