package org.stowage.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.local.LocalCluster;

/**
 * One run of a workload: puts the input files into the repository under the output directory,
 * runs every task through a {@link Scheduler} on a {@link LocalCluster} while {@link Progress}
 * shows how far it is, copies each successful task's outputs out of the repository, and ends
 * with the {@link Summary} and, if asked for, the {@link RunStats} as JSON. The scheduler's log
 * goes to {@code stowage.log} in the output directory meanwhile.
 *
 * <p>Thread-safety: {@link #call} is called once, by one thread; the tasks' listeners record
 * their running times from the scheduler's threads meanwhile.
 */
final class Run {
  private static final Duration IDLE_ALLOC_TIME = Duration.ofSeconds(1);
  private static final Duration BACKOFF_INITIAL = Duration.ofMillis(100);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);

  private final Options options;
  private final Workload workload;
  private final Path outDir;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean terminal;
  private final Map<Task, Long> runningSince = new ConcurrentHashMap<>();
  private final Map<Task, Long> runNanos = new ConcurrentHashMap<>();

  Run(Options options, Workload workload, Path outDir, PrintStream out, PrintStream err,
      boolean terminal) {
    this.options = options;
    this.workload = workload;
    this.outDir = outDir;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  /**
   * Runs the workload.
   *
   * @return {@link Main#OK} if every task succeeded, else {@link Main#FAILED}
   * @throws IOException if the output directory cannot be written
   */
  int call() throws IOException {
    FileRepository repository = FileRepository.open(outDir.resolve("repository"));
    Map<Path, FileRef> stored = new HashMap<>();
    List<Task> tasks = new ArrayList<>();
    for (Workload.Spec spec : workload.tasks()) {
      tasks.add(task(spec, repository, stored));
    }
    Logger stowageLogs = Logger.getLogger("org.stowage");
    try (OutputStream logFile = Files.newOutputStream(outDir.resolve("stowage.log"))) {
      Handler log = new FlushingHandler(logFile);
      boolean parents = stowageLogs.getUseParentHandlers();
      stowageLogs.addHandler(log);
      stowageLogs.setUseParentHandlers(false);
      try {
        return execute(tasks, repository);
      } finally {
        stowageLogs.removeHandler(log);
        stowageLogs.setUseParentHandlers(parents);
        log.close();
      }
    }
  }

  private int execute(List<Task> tasks, FileRepository repository) throws IOException {
    LocalCluster.Builder machine = LocalCluster.newBuilder();
    if (options.cpu() != null) {
      machine.cpu(options.cpu());
    }
    if (options.mem() != null) {
      machine.memory(options.mem());
    }
    try (LocalCluster cluster = machine.build();
         Scheduler scheduler = Scheduler.newBuilder()
             .name("stowage")
             .cluster(cluster)
             .repository(repository)
             // On one machine an alloc that holds all the cpu keeps out a task of another shape
             // until it is freed, and a refusal costs nothing: free idle allocs and ask again soon.
             .maxAllocIdleTime(IDLE_ALLOC_TIME)
             .allocBackoff(BACKOFF_INITIAL, BACKOFF_MAX)
             .build()) {
      err.println("stowage: running " + tasks.size() + " task" + (tasks.size() == 1 ? "" : "s")
          + " from " + workload.file() + " on " + cluster.total() + "; output in " + outDir);
      long start = System.nanoTime();
      // Wait through the listeners rather than await(DONE), so that each task's running time is
      // recorded before the summary reads it.
      List<CompletableFuture<?>> finished = new ArrayList<>();
      for (Task t : tasks) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        finished.add(done);
        t.subscribe(s -> {
          timeRunning(t, s);
          if (s.state() == State.DONE) {
            done.complete(null);
          }
        });
      }
      scheduler.submit(tasks);
      Progress progress = new Progress(tasks, () -> scheduler.counts().allocsLive(), err,
          terminal, start);
      progress.start();
      CompletableFuture.allOf(finished.toArray(CompletableFuture[]::new)).join();
      long wall = System.nanoTime() - start;
      progress.stop();
      // Every task is DONE, so the stats count them all: they are published before statuses.
      SchedulerStats snapshot = scheduler.stats();
      for (Task t : tasks) {
        if (t.status().succeeded()) {
          writeOutputs(t, repository);
        }
      }
      RunStats stats =
          RunStats.of(workload.file(), tasks, cluster.total(), wall, runNanos, snapshot);
      Summary.print(out, tasks, stats, runNanos, outDir);
      if (options.statsJson() != null) {
        stats.write(options.statsJson());
        out.println("stats        " + options.statsJson());
      }
      return stats.failed() == 0 ? Main.OK : Main.FAILED;
    }
  }

  private Task task(Workload.Spec spec, FileRepository repository, Map<Path, FileRef> stored)
      throws IOException {
    Map<String, FileRef> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, Path> e : spec.inputs().entrySet()) {
      FileRef ref = stored.get(e.getValue());
      if (ref == null) {
        try (InputStream in = Files.newInputStream(e.getValue())) {
          var digest = repository.put(in);
          ref = new FileRef(digest, repository.stat(digest));
        }
        stored.put(e.getValue(), ref);
      }
      inputs.put(e.getKey(), ref);
    }
    Task.Builder b = Task.newBuilder()
        .name(spec.name())
        .exec(new ExecConfig(spec.command(), spec.env()))
        .resources(spec.resources())
        .priority(spec.priority());
    if (spec.timeout() != null) {
      b.timeout(spec.timeout());
    }
    if (!inputs.isEmpty()) {
      b.input(".", Fileset.of(inputs));
    }
    return b.build();
  }

  private void timeRunning(Task t, TaskStatus s) {
    if (s.state() == State.RUNNING) {
      runningSince.put(t, s.sinceNanos());
    } else if (s.state() == State.DONE || s.state() == State.LOST) {
      Long since = runningSince.remove(t);
      if (since != null) {
        runNanos.merge(t, s.sinceNanos() - since, Long::sum);
      }
    }
  }

  private void writeOutputs(Task t, FileRepository repository) throws IOException {
    ExecResult r = t.result();
    if (r == null) {
      return;
    }
    Path dir = Files.createDirectories(outDir.resolve(t.name()));
    for (Map.Entry<String, FileRef> e : r.outputs().files().entrySet()) {
      // Fileset paths are relative, without . or .. segments: they stay inside dir.
      Path file = dir.resolve(e.getKey());
      Files.createDirectories(file.getParent());
      try (InputStream in = repository.get(e.getValue().digest())) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /** Writes log records to a stream, flushing each, so the log is readable during the run. */
  private static final class FlushingHandler extends StreamHandler {
    FlushingHandler(OutputStream out) {
      super(out, new SimpleFormatter());
    }

    @Override
    public synchronized void publish(java.util.logging.LogRecord record) {
      super.publish(record);
      flush();
    }
  }
}
