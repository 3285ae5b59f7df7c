package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.cpuMem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.repository.RepositoryException;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;
import org.stowage.testing.InMemoryRepository;

/**
 * 10,000 tasks under chaos: allocs die, the repository blips, the cluster's
 * quota refuses, execs fail, tasks are cancelled, and close races a last submit. Every task must
 * end DONE exactly once, with the right outputs if it succeeded, within its attempt caps; nothing
 * leaks; the stats agree with what the listeners saw; every snapshot lists each id once.
 *
 * <p>Seeded: the workload and every decision about an exec or a task come from the seed, printed
 * on failure; {@code -Dstowage.chaos.seed=N} runs that seed again. The interleaving of the
 * scheduler's threads is not fixed by the seed, so a rerun replays the same chaos, not the same
 * schedule.
 */
@Timeout(300)
class ChaosTest {

  private static final int TASKS = 10_000;
  private static final int LATE = 2_000;
  private static final int MAX_LOST = 3;
  private static final int MAX_FAILED = 3;
  /**
   * Twenty shapes: a pass still costs waiting tasks × shapes × allocs, so thousands of distinct
   * shapes under this much churn would test the placement's speed rather than its correctness.
   */
  private static final double[] CPUS = {0.5, 1, 2, 4};
  private static final double[] MEMS = {1, 2, 4, 8, 16};

  @Test
  void tenThousandTasksUnderChaosEachEndOnceWithTheirOutputs() throws Exception {
    String given = System.getProperty("stowage.chaos.seed");
    long seed = given != null ? Long.parseLong(given) : new SplittableRandom().nextLong();
    try {
      new Run(seed).run();
    } catch (Throwable e) {
      throw new AssertionError("chaos run failed with seed " + seed
          + "; rerun it with -Dstowage.chaos.seed=" + seed + ": " + e, e);
    }
  }

  /** One seeded run. */
  private static final class Run {
    final long seed;
    final SplittableRandom random;
    final InMemoryRepository repository = new InMemoryRepository("chaos tasks");
    final FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(16, 64)).automatic()
        .quota(10).keepaliveInterval(Duration.ofMillis(20)).build();
    final Map<String, AtomicInteger> dones = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> losses = new ConcurrentHashMap<>();
    final Map<String, String> expected = new ConcurrentHashMap<>();
    final Set<String> handled = ConcurrentHashMap.newKeySet();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger listenerLost = new AtomicInteger();
    /** How many of the tasks have been submitted: only those may be cancelled. */
    final AtomicInteger submitted = new AtomicInteger();

    Run(long seed) {
      this.seed = seed;
      this.random = new SplittableRandom(seed);
    }

    void run() throws Exception {
      List<Digest> inputs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        inputs.add(repository.putBytes(("input " + i + " of seed " + seed)
            .getBytes(StandardCharsets.UTF_8)));
      }
      List<Task> tasks = tasks("t", TASKS, inputs);
      List<Task> late = tasks("late", LATE, inputs);

      Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).name("chaos").jmx(false)
          .repository(repository).maxLostAttempts(MAX_LOST).maxFailedAttempts(MAX_FAILED)
          .allocBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
          .keepaliveTimeout(Duration.ofSeconds(2)).maxAllocIdleTime(Duration.ofMillis(200))
          .drainTimeout(Duration.ofMillis(10)).build();
      AtomicInteger eventsDone = new AtomicInteger();
      scheduler.subscribe(e -> {
        if (e instanceof SchedulerEvent.TaskChanged c && c.status().state() == State.DONE) {
          eventsDone.incrementAndGet();
        }
      });

      List<CompletableFuture<Void>> helpers = List.of(
          CompletableFuture.runAsync(this::driveExecs),
          CompletableFuture.runAsync(() -> makeChaos(tasks)),
          CompletableFuture.runAsync(() -> readSnapshots(scheduler)));
      try {
        for (int from = 0; from < TASKS; from += 500) {
          scheduler.submit(tasks.subList(from, from + 500));
          submitted.set(from + 500);
        }
        try {
          CompletableFuture.allOf(tasks.stream().map(t -> t.await(State.DONE)
                  .exceptionally(e -> null)).toArray(CompletableFuture[]::new))
              .get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          Map<String, Long> stuck = new java.util.TreeMap<>();
          for (Task t : tasks) {
            TaskStatus s = t.status();
            if (s.state() != State.DONE) {
              stuck.merge(s.state() + "/" + s.waiting(), 1L, Long::sum);
            }
          }
          Thread.getAllStackTraces().forEach((th, st) -> {
            if (th.getName().startsWith("stowage")) {
              System.out.println("THREAD " + th.getName() + " " + th.getState());
              for (StackTraceElement el : st) {
                System.out.println("    at " + el);
              }
            }
          });
          throw new AssertionError("not every task ended within 120 s: " + stuck + "; "
              + scheduler.counts() + "; live allocs " + cluster.liveAllocs(), e);
        }
        // The last submit races close: refused whole, or every task of it ends DONE.
        CompletableFuture<Void> lastSubmit =
            CompletableFuture.runAsync(() -> scheduler.submit(late));
        scheduler.shutdown().get(60, TimeUnit.SECONDS);
        boolean lateAccepted = true;
        try {
          lastSubmit.join();
        } catch (CompletionException e) {
          assertTrue(e.getCause() instanceof IllegalStateException, e::toString);
          lateAccepted = false;
        }
        stopHelpers(helpers);
        // Use up the blips the chaos queued but nothing consumed, to read the outputs.
        while (true) {
          try {
            repository.stat(inputs.get(0));
            break;
          } catch (RepositoryException e) {
            // one queued blip fewer
          }
        }
        check(scheduler, tasks, late, lateAccepted, eventsDone.get());
      } finally {
        stopHelpers(helpers);
      }
    }

    void stopHelpers(List<CompletableFuture<Void>> helpers) throws Exception {
      stop.set(true);
      CompletableFuture.allOf(helpers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    List<Task> tasks(String prefix, int n, List<Digest> inputs) {
      List<Task> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Digest input = inputs.get(random.nextInt(inputs.size()));
        String name = prefix + i;
        Task t = Task.newBuilder().name(name).command("digest", "in/data")
            .resources(cpuMem(CPUS[random.nextInt(CPUS.length)],
                MEMS[random.nextInt(MEMS.length)]))
            .input("in", Fileset.of(Map.of("data", new FileRef(input, repository.stat(input)))))
            .build();
        expected.put(name, name + " read " + input);
        dones.put(name, new AtomicInteger());
        losses.put(name, new AtomicInteger());
        t.subscribe(s -> {
          if (s.state() == State.DONE) {
            dones.get(name).incrementAndGet();
          } else if (s.state() == State.LOST) {
            losses.get(name).incrementAndGet();
            listenerLost.incrementAndGet();
          }
        });
        out.add(t);
      }
      return out;
    }

    /** Ends each exec on a live alloc: mostly with its output, sometimes failing. */
    void driveExecs() {
      while (!stop.get()) {
        for (FakeAlloc a : cluster.allocs()) {
          if (a.isFailed()) {
            continue;  // unreachable: its execs hang, and the scheduler must give up on them
          }
          for (FakeExec x : a.running()) {
            if (!handled.add(x.id())) {
              continue;
            }
            SplittableRandom r = new SplittableRandom(seed ^ x.id().hashCode());
            double roll = r.nextDouble();
            if (roll < 0.03) {
              x.exit(1);
            } else if (roll < 0.04) {
              x.fail(new IllegalStateException("exec blip"));
            } else {
              FileRef in = x.request().inputs().files().get("in/data");
              x.output("result", x.request().name() + " read " + in.digest()).succeed();
            }
          }
        }
        Thread.onSpinWait();
      }
    }

    /** Kills allocs, makes the repository blip, cancels tasks. */
    void makeChaos(List<Task> tasks) {
      SplittableRandom r = new SplittableRandom(seed * 31 + 7);
      while (!stop.get()) {
        double roll = r.nextDouble();
        if (roll < 0.05) {
          List<FakeAlloc> live = cluster.allocs().stream()
              .filter(a -> !a.isFailed() && !a.isFreed()).toList();
          if (!live.isEmpty()) {
            live.get(r.nextInt(live.size())).fail("killed by chaos");
          }
        } else if (roll < 0.25) {
          repository.failNext(new RepositoryException(RepositoryException.Kind.UNAVAILABLE,
              repository.name(), null, "chaos blip", null));
        } else if (roll < 0.35 && submitted.get() > 0) {
          tasks.get(r.nextInt(submitted.get())).cancel();
        }
        try {
          Thread.sleep(20);  // chaos paces itself; no test result depends on this pause
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void readSnapshots(Scheduler scheduler) {
      while (!stop.get()) {
        SchedulerStats s = scheduler.stats();
        List<String> allocs = s.allocs().stream().map(SchedulerStats.AllocStats::id).toList();
        List<String> keys = s.tasks().stream().map(SchedulerStats.TaskStats::key).toList();
        if (violations.size() >= 5) {
          continue;  // enough to show what is wrong
        }
        if (new HashSet<>(allocs).size() != allocs.size()) {
          violations.add("an alloc listed twice: " + allocs);
        }
        if (new HashSet<>(keys).size() != keys.size()) {
          violations.add("a task listed twice in one snapshot");
        }
      }
    }

    void check(Scheduler scheduler, List<Task> tasks, List<Task> late, boolean lateAccepted,
        int eventsDone) throws IOException {
      List<Task> all = new ArrayList<>(tasks);
      if (lateAccepted) {
        all.addAll(late);
      }
      int succeeded = 0;
      int failed = 0;
      int cancelled = 0;
      for (Task t : all) {
        TaskStatus s = t.status();
        assertEquals(State.DONE, s.state(), () -> t + " did not end");
        assertEquals(1, dones.get(t.name()).get(), () -> t + " reached DONE more than once");
        assertTrue(losses.get(t.name()).get() <= MAX_LOST, () -> t + " was lost past its cap");
        assertTrue(s.attempt() < MAX_LOST + MAX_FAILED, () -> t + " ran too many attempts: " + s);
        if (s.succeeded()) {
          succeeded++;
          FileRef out = s.result().outputs().files().get("result");
          assertNotNull(out, () -> t + " has no output");
          try (InputStream in = repository.get(out.digest())) {
            assertEquals(expected.get(t.name()), new String(in.readAllBytes(),
                StandardCharsets.UTF_8), () -> t + " has the wrong output");
          }
        } else if (s.error().kind() == TaskException.Kind.CANCELLED) {
          cancelled++;
        } else {
          failed++;
        }
      }
      if (!lateAccepted) {
        for (Task t : late) {
          assertEquals(0, dones.get(t.name()).get(), () -> t + " ran though its submit was refused");
        }
      }
      SchedulerStats.Counts c = scheduler.counts();
      assertEquals(all.size(), c.submitted());
      assertEquals(succeeded, c.succeeded());
      assertEquals(failed, c.failed());
      assertEquals(cancelled, c.cancelled());
      assertEquals(all.size(), c.done());
      assertEquals(listenerLost.get(), c.attemptsLost());
      assertEquals(all.size(), eventsDone, "scheduler listeners heard a DONE per task");
      assertTrue(succeeded > TASKS / 2, "only " + succeeded + " succeeded");
      assertEquals(List.of(), violations);
      cluster.checkNoLeaks();
      repository.checkNoOpenStreams();
      for (FakeAlloc a : cluster.allocs()) {
        a.repository().checkNoOpenStreams();
      }
      System.out.printf("chaos seed %d: %d succeeded, %d failed, %d cancelled, %d attempts lost,"
          + " %d allocs granted, late submit %s%n", seed, succeeded, failed, cancelled,
          c.attemptsLost(), cluster.allocs().size(), lateAccepted ? "accepted" : "refused");
    }
  }
}
