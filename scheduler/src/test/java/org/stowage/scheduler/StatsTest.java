package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.scheduler.SchedulerStats.AllocStats;
import org.stowage.scheduler.SchedulerStats.Counts;
import org.stowage.scheduler.SchedulerStats.TaskStats;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;
import org.stowage.testing.FakeTimeSource;

/** What {@link Scheduler#stats()} shows, how it stays consistent, and its JSON form. */
@Timeout(120)
class StatsTest {

  private final FakeTimeSource time = new FakeTimeSource();
  private final FakeCluster cluster = FakeCluster.newBuilder().timeSource(time).build();
  private final Scheduler scheduler = Fixtures.fakeTimeScheduler(cluster, time).name("stats-test")
      .statsRetention(3, Duration.ofMinutes(10)).build();

  @AfterEach
  void close() {
    scheduler.close();
    cluster.checkNoLeaks();
  }

  private static TaskStats of(SchedulerStats s, Task t) {
    return s.tasks().stream().filter(x -> x.key().equals(t.key())).findFirst().orElseThrow(
        () -> new AssertionError(t + " is not in the stats"));
  }

  @Test
  void showsAllocsWithTheirRoomAndTasksWithTheirStateAndWhyTheyWait() throws Exception {
    Task running = task(3, 2);
    scheduler.submit(List.of(running));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(4, 8));
    FakeExec exec = alloc.takeExec(WAIT);
    reach(running, State.RUNNING);
    Task waiting = task(2, 2);
    scheduler.submit(List.of(waiting));
    await().atMost(WAIT).until(() -> waiting.status().waiting() == WaitReason.ALLOC_PENDING);
    time.advance(Duration.ofSeconds(30));

    SchedulerStats s = scheduler.stats();
    assertEquals("stats-test", s.scheduler());
    Counts c = s.counts();
    assertEquals(2, c.submitted());
    assertEquals(1, c.running());
    assertEquals(1, c.init());
    assertEquals(1, c.waiting());
    assertEquals(2, c.allocsRequested());
    assertEquals(1, c.allocsPending());
    assertEquals(1, c.allocsLive());
    AllocStats a = s.allocs().get(0);
    assertEquals(alloc.id(), a.id());
    assertEquals(SchedulerStats.AllocState.LIVE, a.state());
    assertEquals(cpuMem(4, 8), a.capacity());
    assertEquals(cpuMem(1, 6), a.free());
    assertEquals(List.of(running.id()), a.tasks());
    assertEquals(30, a.ageSeconds(), 0.001);
    assertEquals(0, a.idleSeconds());
    TaskStats r = of(s, running);
    assertEquals(State.RUNNING, r.state());
    assertEquals(alloc.id(), r.alloc());
    assertEquals(30, r.secondsInState(), 0.001);
    TaskStats w = of(s, waiting);
    assertEquals(WaitReason.ALLOC_PENDING, w.waiting());
    assertNull(w.alloc());

    exec.exit(4);
    done(running);
    SchedulerStats after = scheduler.stats();
    TaskStats failed = of(after, running);
    assertEquals(TaskException.Kind.FAILED, failed.errorKind());
    assertTrue(failed.error().contains("exited with code 4"), failed.error());
    assertEquals(1, after.counts().failed());
    assertEquals(1, after.counts().done());
  }

  @Test
  void finishedTasksAndGoneAllocsAreKeptWithinTheRetentionByCountAndAge() throws Exception {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tasks.add(task(1, 1));
    }
    scheduler.submit(tasks);
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    for (int i = 0; i < 5; i++) {
      alloc.takeExec(WAIT).succeed();
    }
    for (Task t : tasks) {
      done(t);
    }
    await().atMost(WAIT).until(() -> scheduler.stats().tasks().size() <= 3);
    assertEquals(5, scheduler.stats().counts().succeeded());
    alloc.fail("gone");
    Task probe = task(1, 1);
    scheduler.submit(List.of(probe));   // placed there, it finds the alloc dead
    await().atMost(WAIT).until(() -> scheduler.stats().allocs().stream()
        .anyMatch(x -> x.state() == SchedulerStats.AllocState.DEAD));
    FakeCluster.Request again = cluster.takeRequest(WAIT);
    time.advance(Duration.ofMinutes(11));
    SchedulerStats s = scheduler.stats();
    assertTrue(s.allocs().isEmpty(), s.allocs()::toString);
    assertEquals(List.of(probe.key()), s.tasks().stream().map(TaskStats::key).toList());
    again.grant().takeExec(WAIT).succeed();
    done(probe);
  }

  @Test
  void countsAlwaysAddUpWhileTenThousandTasksRun() throws Exception {
    FakeCluster auto = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic()
        .execDuration(Duration.ZERO).build();
    try (Scheduler s = Scheduler.newBuilder().cluster(auto).jmx(false).build()) {
      AtomicBoolean running = new AtomicBoolean(true);
      List<String> problems = new CopyOnWriteArrayList<>();
      List<Thread> readers = new ArrayList<>();
      int[] snapshots = new int[4];
      for (int i = 0; i < 4; i++) {
        int n = i;
        Thread reader = new Thread(() -> {
          long lastSubmitted = 0;
          while (running.get()) {
            SchedulerStats st = s.stats();
            Counts c = st.counts();
            long sum = c.init() + c.staging() + c.running() + c.lost() + c.done();
            if (sum != c.submitted()) {
              problems.add("states add up to " + sum + " of " + c.submitted() + ": " + c);
            }
            if (c.succeeded() + c.failed() + c.cancelled() != c.done()) {
              problems.add("outcomes do not add up to done: " + c);
            }
            if (c.init() < 0 || c.staging() < 0 || c.running() < 0 || c.lost() < 0
                || c.allocsLive() < 0 || c.allocsPending() < 0) {
              problems.add("negative: " + c);
            }
            if (c.submitted() < lastSubmitted) {
              problems.add("submitted went back from " + lastSubmitted + " to " + c);
            }
            lastSubmitted = c.submitted();
            snapshots[n]++;
          }
        });
        reader.start();
        readers.add(reader);
      }
      List<Task> all = new ArrayList<>();
      for (int batch = 0; batch < 100; batch++) {
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          tasks.add(task(1 + (i % 4), 1 + (i % 8)));
        }
        s.submit(tasks);
        all.addAll(tasks);
      }
      CompletableFuture.allOf(all.stream().map(t -> t.await(State.DONE))
          .toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      running.set(false);
      for (Thread r : readers) {
        r.join(10_000);
      }
      assertTrue(problems.isEmpty(), () -> problems.subList(0, Math.min(5, problems.size()))
          .toString());
      for (int n : snapshots) {
        assertTrue(n > 0, "a reader took no snapshot");
      }
      assertEquals(10_000, s.counts().succeeded());
    }
  }

  @Test
  void aSnapshotRoundTripsThroughItsDocumentedJsonFormat() throws Exception {
    Task t = Task.newBuilder().name("wc").resources(Resources.of("cpu", 0.5, "mem", 3 * Resources.GiB,
        "gpu", 1)).command("wc").build();
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(Resources.of("cpu", 2, "mem",
        4 * Resources.GiB, "gpu", 1));
    alloc.takeExec(WAIT);
    reach(t, State.RUNNING);
    time.advance(Duration.ofMillis(1500));

    SchedulerStats s = scheduler.stats();
    String json = s.toJson();
    assertEquals(s, SchedulerStats.fromJson(json));

    JsonNode root = new ObjectMapper().readTree(json);
    assertEquals(List.of("scheduler", "counts", "allocs", "tasks"), names(root));
    assertEquals(List.of("submitted", "init", "staging", "running", "lost", "done", "succeeded",
        "failed", "cancelled", "waiting", "attemptsLost", "attemptsFailed", "allocsRequested",
        "allocsFailed", "allocsPending", "allocsLive", "allocsDead", "allocsFreedIdle"),
        names(root.get("counts")));
    JsonNode a = root.get("allocs").get(0);
    assertEquals(List.of("id", "state", "capacity", "free", "tasks", "ageSeconds", "idleSeconds"),
        names(a));
    assertEquals("{\"cpu\":2,\"mem\":4294967296,\"gpu\":1}", a.get("capacity").toString());
    assertEquals("{\"cpu\":1.5,\"mem\":1073741824}", a.get("free").toString());
    JsonNode task = root.get("tasks").get(0);
    assertEquals(List.of("key", "name", "id", "attempt", "state", "resources", "alloc", "waiting",
        "errorKind", "error", "secondsInState"), names(task));
    assertEquals("wc", task.get("name").asText());
    assertEquals("RUNNING", task.get("state").asText());
    assertEquals(1.5, task.get("secondsInState").asDouble(), 1e-9);
    assertTrue(task.get("waiting").isNull());
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> SchedulerStats.fromJson("{\"counts\": 3}"));
    assertTrue(bad.getMessage().startsWith("not scheduler stats JSON"), bad.getMessage());
    alloc.running().forEach(FakeExec::succeed);
    done(t);
  }

  /** A snapshot of one alloc and one failed task, built by hand. */
  private static SchedulerStats snapshot(String taskName, Resources resources, String error) {
    Counts counts = new Counts(1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1);
    AllocStats alloc = new AllocStats("fake-1", SchedulerStats.AllocState.FREED, resources,
        resources, List.of("t1.0"), 2.5, 1.0);
    TaskStats task = new TaskStats("t1", taskName, "t1.0", 0, State.DONE, resources, "fake-1",
        null, TaskException.Kind.FAILED, error, 1.5);
    return new SchedulerStats("stats-test", counts, List.of(alloc), List.of(task));
  }

  @Test
  void statsJsonThatCouldBeReadTwoWaysIsRefused() {
    String json = snapshot("wc", Resources.of("cpu", 2), "exited with code 4").toJson();
    assertEquals(snapshot("wc", Resources.of("cpu", 2), "exited with code 4"),
        SchedulerStats.fromJson(json));
    Map<String, String> variants = new LinkedHashMap<>();
    variants.put(json.replaceFirst("\"name\" : \"wc\"", "\"name\" : \"wc\", \"name\" : \"sort\""),
        "Duplicate field 'name'");
    variants.put(json.replaceFirst("\"cpu\" : 2", "\"cpu\" : 2, \"cpu\" : 3"),
        "Duplicate field 'cpu'");
    variants.put(json.replaceFirst("\"attempt\" : 0", "\"attempt\" : 0.5"), "at tasks[0].attempt:");
    variants.put(json.replaceFirst("\"failed\" : 1", "\"failed\" : 1.0"), "at counts.failed:");
    for (Map.Entry<String, String> v : variants.entrySet()) {
      assertTrue(!v.getKey().equals(json), "the variant differs from what was written");
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class, () -> SchedulerStats.fromJson(v.getKey()));
      assertTrue(e.getMessage().startsWith("not scheduler stats JSON")
          && e.getMessage().contains(v.getValue()), e.getMessage());
    }
  }

  @Test
  void longNamesAndMessagesRoundTripThroughJson() {
    // Past the bounds a JSON reader keeps by default: 50,000 chars for a key (a resource name
    // here) and 20,000,000 for a string.
    String resource = "g".repeat(100_000);
    SchedulerStats s = snapshot("n".repeat(60_000), Resources.of(resource, 1),
        "e".repeat(20_000_001));
    SchedulerStats back = SchedulerStats.fromJson(s.toJson());
    assertEquals(s, back);
    assertEquals(1, back.tasks().get(0).resources().get(resource));
  }

  /** Encodes as UTF-8 the way Files.writeString does: an unpaired surrogate is an error. */
  private static String throughUtf8(String text) throws Exception {
    ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(text));
    return StandardCharsets.UTF_8.newDecoder().decode(bytes).toString();
  }

  @Test
  void textWithAnUnpairedSurrogateIsWrittenAsUtf8AndReadBackAsItWas() throws Exception {
    Task t = Task.newBuilder().name("a\uD800b").resources(cpuMem(1, 1)).command("true").build();
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    alloc.takeExec(WAIT).fail(new IllegalStateException("bad byte \uDC00 in \uD83D\uDE00 output"));
    done(t);

    SchedulerStats s = scheduler.stats();
    String json = s.toJson();
    SchedulerStats back = SchedulerStats.fromJson(throughUtf8(json));
    assertEquals(s, back);
    assertEquals("a\uD800b", of(back, t).name());
    assertTrue(of(back, t).error().contains("bad byte \uDC00 in \uD83D\uDE00 output"),
        of(back, t).error());
    assertTrue(json.contains("\"a\\uD800b\""), json);
    assertTrue(json.contains("\uD83D\uDE00"), "a pair stays as it is: " + json);

    // The same for a snapshot built by hand, in every text field.
    String lone = "x\uDBFF";
    SchedulerStats built = new SchedulerStats(lone, s.counts(),
        List.of(new AllocStats(lone, SchedulerStats.AllocState.FREED, Resources.empty(),
            Resources.empty(), List.of(lone), 0, 0)),
        List.of(new TaskStats(lone, lone, lone, 0, State.DONE, Resources.empty(), lone, null,
            TaskException.Kind.FAILED, lone, 0)));
    assertEquals(built, SchedulerStats.fromJson(throughUtf8(built.toJson())));
  }

  private static List<String> names(JsonNode node) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }
}
