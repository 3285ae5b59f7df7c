package org.stowage.scheduler.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.ProcessFixtures.contents;
import static org.stowage.scheduler.ProcessFixtures.marker;
import static org.stowage.scheduler.ProcessFixtures.processesWith;
import static org.stowage.scheduler.ProcessFixtures.put;
import static org.stowage.scheduler.ProcessFixtures.read;
import static org.stowage.scheduler.local.LocalFixtures.WAIT;

import java.nio.charset.StandardCharsets;
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
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.internal.process.ProcessTree;

/** Tasks run through a {@link Scheduler} on a {@link LocalCluster}, end to end, as a user sees. */
@Timeout(90)
class LocalSchedulerTest {

  private static final Resources HALF_CPU =
      Resources.of(Resources.CPU, 0.5, Resources.MEM, 256 * Resources.MiB);

  @TempDir Path tmp;
  private FileRepository repository;
  private LocalCluster cluster;
  private Scheduler scheduler;

  @BeforeEach
  void start() throws Exception {
    repository = FileRepository.open(tmp.resolve("repository"));
    cluster = LocalFixtures.cluster(tmp.resolve("work"));
    scheduler = LocalFixtures.scheduler(cluster, repository).build();
  }

  @AfterEach
  void closeAndCheckNothingIsLeft() {
    scheduler.close();
    cluster.close();
    assertEquals(List.of(), contents(tmp.resolve("work")), "alloc directories left behind");
  }

  private static TaskStatus done(Task t) throws Exception {
    try {
      t.await(State.DONE).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // a failed task completes its wait exceptionally; the status says why
    }
    return t.status();
  }

  /** Lines of made-up words, different for every seed. */
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

  @Test
  void outputsAreByteForByteWhatTheCommandsWrote() throws Exception {
    List<Task> tasks = new ArrayList<>();
    Map<Task, String> inputs = new HashMap<>();
    for (int i = 0; i < 12; i++) {
      // Four distinct inputs, each read by three tasks: staged once per alloc.
      String data = text(i % 4, 2_000 + 500 * (i % 4));
      FileRef ref = put(repository, data);
      Task t = Task.newBuilder()
          .name("sort-" + i)
          .exec(new ExecConfig(List.of("sh", "-c", "sort in/data.txt > out/sorted.txt"
              + " && mkdir out/upper && tr a-z A-Z < in/data.txt > \"out/upper/$NAME.txt\""
              + " && wc -l < in/data.txt | tr -d ' ' > out/lines.txt"),
              Map.of("LC_ALL", "C", "NAME", "data-" + i)))
          .resources(HALF_CPU)
          .input("in", Fileset.of(Map.of("data.txt", ref)))
          .build();
      tasks.add(t);
      inputs.put(t, data);
    }

    scheduler.submit(tasks);

    for (Task t : tasks) {
      TaskStatus s = done(t);
      assertTrue(s.succeeded(), () -> t + ": " + s.error());
      String data = inputs.get(t);
      List<String> lines = new ArrayList<>(List.of(data.split("\n")));
      lines.sort(null); // LC_ALL=C sort: byte order, which for ASCII is String order
      Map<String, FileRef> out = s.result().outputs().files();
      String name = t.name().replace("sort-", "data-");
      assertEquals(Set.of("sorted.txt", "lines.txt", "upper/" + name + ".txt"), out.keySet());
      assertEquals(String.join("\n", lines) + "\n", read(repository, out.get("sorted.txt")),
          "outputs are read from the task's repository");
      assertEquals(data.toUpperCase(Locale.ROOT), read(repository, out.get("upper/" + name + ".txt")));
      assertEquals(lines.size() + "\n", read(repository, out.get("lines.txt")));
      assertEquals(data.getBytes(StandardCharsets.UTF_8).length,
          out.get("upper/" + name + ".txt").size());
    }
    // The counters are published after the statuses that end a batch of events.
    await().atMost(WAIT).until(() -> scheduler.counts().succeeded() == 12);
  }

  @Test
  void aFailingCommandEndsItsTaskWithTheExitCodeAndTheTailOfItsErrors() throws Exception {
    Task t = Task.newBuilder().name("broken").resources(HALF_CPU)
        .command("sh", "-c", "echo working; echo 'cannot go on' >&2; exit 4").build();

    scheduler.submit(t);
    TaskStatus s = done(t);

    TaskException e = s.error();
    assertNotNull(e);
    assertEquals(TaskException.Kind.FAILED, e.kind());
    ExecResult r = e.result();
    assertNotNull(r);
    assertEquals(4, r.exitCode());
    assertEquals("working\n", r.stdout());
    assertEquals("cannot go on\n", r.stderr());
  }

  @Test
  void aTaskLargerThanTheMachineFailsSayingHowLargeTheMachineIs() throws Exception {
    Task t = Task.newBuilder().name("huge").command("true")
        .resources(Resources.of(Resources.CPU, 16)).build();

    scheduler.submit(t);
    TaskStatus s = done(t);

    assertEquals(TaskException.Kind.UNSATISFIABLE, s.error().kind());
    assertTrue(s.error().getMessage().endsWith("this machine has {cpu:2 mem:4GiB}"),
        s.error().getMessage());
  }

  @Test
  void aTimedOutTaskLeavesNoProcessAndNoSandboxBehind() throws Exception {
    String marker = marker();
    Path note = tmp.resolve("sandbox-of-the-task");
    Task t = Task.newBuilder().name("sleepy").resources(HALF_CPU)
        .timeout(Duration.ofSeconds(2))
        .exec(new ExecConfig(List.of("sh", "-c",
            "pwd > \"$NOTE\"; sleep " + marker + " & sleep " + marker + "; wait"),
            Map.of("NOTE", note.toString())))
        .build();

    scheduler.submit(t);
    await().atMost(WAIT).until(() -> processesWith(marker).size() == 3);
    TaskStatus s = done(t);

    assertEquals(TaskException.Kind.TIMED_OUT, s.error().kind());
    assertEquals(List.of(), processesWith(marker), "processes left behind");
    Path sandbox = Path.of(Files.readString(note).strip());
    assertTrue(sandbox.startsWith(cluster.workDir()), sandbox.toString());
    assertFalse(Files.exists(sandbox), "the sandbox " + sandbox + " is still there");
  }

  @Test
  void closingLeavesNoProcessEvenOneThatDroppedTheMarkerAndLeftTheTasksTree() throws Exception {
    String marker = marker();
    Path pids = tmp.resolve("pids");
    Task t = Task.newBuilder().name("sheds-its-marker").resources(HALF_CPU)
        .exec(new ExecConfig(List.of("sh", "-c",
            LocalFixtures.detachedChild(marker, false) + "; sleep " + marker),
            Map.of("PIDS", pids.toString())))
        .build();
    scheduler.submit(t);
    t.await(State.RUNNING).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    ProcessHandle child = LocalFixtures.detached(pids);

    scheduler.close();
    cluster.close();

    assertFalse(ProcessTree.running(child), "the detached child " + child.pid() + " still runs");
    assertEquals(List.of(), processesWith(marker));
  }

  @Test
  void tasksOfAKilledAllocAreLostRunAgainAndStillProduceTheirOutputs() throws Exception {
    // The tasks wait for a gate, so that the alloc is killed while they run; the runs after the
    // kill find the gate open.
    Path gate = tmp.resolve("gate");
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FileRef data = put(repository, text(10 + i, 100));
      tasks.add(Task.newBuilder().name("gated-" + i).resources(HALF_CPU)
          .exec(new ExecConfig(List.of("sh", "-c",
              "while [ ! -e \"$GATE\" ]; do sleep 0.05; done; sort in/data.txt > out/sorted.txt"),
              Map.of("GATE", gate.toString(), "LC_ALL", "C")))
          .input("in", Fileset.of(Map.of("data.txt", data)))
          .build());
    }
    scheduler.submit(tasks);
    Set<String> allocs = new HashSet<>();
    for (Task t : tasks) {
      t.await(State.RUNNING).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      allocs.add(t.status().allocId());
    }

    for (String id : allocs) {
      cluster.kill(id);
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
      List<String> lines = new ArrayList<>(List.of(text(10 + i, 100).split("\n")));
      lines.sort(null);
      assertEquals(String.join("\n", lines) + "\n",
          read(repository, s.result().outputs().files().get("sorted.txt")));
    }
    await().atMost(WAIT).until(() -> scheduler.counts().succeeded() == 3);
    assertEquals(3, scheduler.counts().attemptsLost());
    assertTrue(scheduler.counts().allocsDead() >= 1);
  }
}
