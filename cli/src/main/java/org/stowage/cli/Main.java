package org.stowage.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.local.LocalCluster;

/**
 * The {@code stowage} command: runs a workload file on this machine through a {@link Scheduler}
 * on a {@link LocalCluster}.
 *
 * <pre>
 * java -jar stowage.jar run WORKLOAD.json [--out DIR] [--stats-json FILE] [--cpu N] [--mem SIZE]
 *     [--allow-outside-inputs]
 * </pre>
 *
 * <p>It reads and checks the workload (see the package comment for its format), puts every input
 * file into a {@link FileRepository} under the output directory, submits all tasks at once and,
 * while they run, shows a progress line on standard error. At the end it copies each successful
 * task's outputs to {@code <out>/<task name>/}, prints a summary on standard output and, with
 * {@code --stats-json}, writes the run's figures as JSON.
 *
 * <p>Exit codes: 0 if every task succeeded, 1 if any failed (or the run itself failed), 2 if the
 * command line or the workload file is wrong; nothing has run then.
 *
 * <p>Thread-safety: {@link #run} may be called from any thread; runs do not share state, except
 * that each sends the scheduler's log (the {@code org.stowage} loggers of
 * {@code java.util.logging}) to its own output directory while it runs.
 */
public final class Main {

  /** Every task succeeded. */
  public static final int OK = 0;
  /** Some task failed, or the run could not finish. */
  public static final int FAILED = 1;
  /** The command line or the workload file is wrong; nothing ran. */
  public static final int USAGE = 2;

  private static final Duration IDLE_ALLOC_TIME = Duration.ofSeconds(1);
  private static final Duration BACKOFF_INITIAL = Duration.ofMillis(100);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);

  /** Writes {@code --stats-json}. */
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private static final String USAGE_TEXT = """
      usage: java -jar stowage.jar run WORKLOAD.json [options]

      Runs the tasks of WORKLOAD.json on this machine and copies each task's outputs to
      OUT/<task name>/.

      options:
        --out DIR          where to put outputs, the repository and the log; must be empty or
                           absent (default: a new directory under the system's temp directory)
        --stats-json FILE  also write the run's figures to FILE as JSON
        --cpu N            cpus to use (default: all the JVM sees)
        --mem SIZE         memory to use, such as 4GiB (default: the machine's memory)
        --allow-outside-inputs
                           let input files lie outside the workload file's directory (absolute
                           paths, paths with .., symbolic links to elsewhere); refused otherwise
        -h, --help         show this help
      """;

  private Main() {}

  /**
   * Runs the command and exits with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, stderrIsTerminal()));
  }

  /**
   * Runs the command without exiting; the progress line is plain text, one line per change.
   *
   * @param args the command-line arguments, such as {@code run workload.json --out results}
   * @param out where the summary goes
   * @param err where progress, warnings and errors go
   * @return the exit code: {@link #OK}, {@link #FAILED} or {@link #USAGE}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, false);
  }

  private static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("stowage: " + e.getMessage());
      err.print(USAGE_TEXT);
      return USAGE;
    }
    if (options == null) {
      out.print(USAGE_TEXT);
      return OK;
    }
    Workload workload;
    try {
      workload = WorkloadReader.read(options.workload(), options.allowOutsideInputs());
    } catch (Workload.Invalid e) {
      err.println("stowage: " + options.workload() + " is not a valid workload:");
      for (String problem : e.problems()) {
        err.println("  " + problem);
      }
      return USAGE;
    }
    Path outDir;
    try {
      outDir = outputDirectory(options.out());
    } catch (IllegalArgumentException e) {
      err.println("stowage: " + e.getMessage());
      return USAGE;
    } catch (IOException e) {
      err.println("stowage: cannot create the output directory: " + e);
      return FAILED;
    }
    try {
      return new Run(options, workload, outDir, out, err, terminal).call();
    } catch (IOException | RuntimeException e) {
      err.println("stowage: the run failed: " + e);
      e.printStackTrace(err);
      return FAILED;
    }
  }

  private static Path outputDirectory(@Nullable Path requested) throws IOException {
    if (requested == null) {
      return Files.createTempDirectory("stowage-run-");
    }
    if (Files.isDirectory(requested)) {
      try (var entries = Files.list(requested)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException("--out " + requested + " is not empty: name a new"
              + " directory, or leave --out out to get one");
        }
      }
    } else if (Files.exists(requested)) {
      throw new IllegalArgumentException("--out " + requested + " is not a directory");
    }
    return Files.createDirectories(requested);
  }

  /** Returns true if standard error is a terminal (as far as the JVM can tell). */
  private static boolean stderrIsTerminal() {
    Path fd2 = Path.of("/proc/self/fd/2");
    if (Files.exists(fd2)) {
      try {
        String target = Files.readSymbolicLink(fd2).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
    return System.console() != null && !"dumb".equals(System.getenv("TERM"));
  }

  /** The parsed command line. */
  private record Options(Path workload, @Nullable Path out, @Nullable Path statsJson,
      @Nullable Double cpu, @Nullable Long mem, boolean allowOutsideInputs) {

    /** Returns the options, or null if help was asked for. */
    static @Nullable Options parse(String[] args) {
      List<String> rest = new ArrayList<>();
      Map<String, String> values = new HashMap<>();
      boolean allowOutsideInputs = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("-h") || a.equals("--help")) {
          return null;
        }
        if (!a.startsWith("--")) {
          rest.add(a);
          continue;
        }
        int eq = a.indexOf('=');
        String name = eq >= 0 ? a.substring(0, eq) : a;
        if (name.equals("--allow-outside-inputs")) {
          if (eq >= 0) {
            throw new IllegalArgumentException(name + " takes no value but was given "
                + a.substring(eq + 1));
          }
          allowOutsideInputs = true;
          continue;
        }
        if (!List.of("--out", "--stats-json", "--cpu", "--mem").contains(name)) {
          throw new IllegalArgumentException("unknown option " + name);
        }
        String value;
        if (eq >= 0) {
          value = a.substring(eq + 1);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException(name + " needs a value");
        }
        if (values.put(name, value) != null) {
          throw new IllegalArgumentException(name + " was given twice");
        }
      }
      if (rest.isEmpty()) {
        throw new IllegalArgumentException("no command given");
      }
      if (!rest.get(0).equals("run")) {
        throw new IllegalArgumentException("unknown command " + rest.get(0) + "; the command is run");
      }
      if (rest.size() != 2) {
        throw new IllegalArgumentException(rest.size() < 2 ? "run needs a workload file"
            : "run takes one workload file but was given " + rest.subList(1, rest.size()));
      }
      Double cpu = null;
      if (values.containsKey("--cpu")) {
        try {
          cpu = Double.parseDouble(values.get("--cpu"));
        } catch (NumberFormatException e) {
          cpu = Double.NaN;
        }
        if (cpu == Double.POSITIVE_INFINITY) {
          throw new IllegalArgumentException("--cpu is too large: " + values.get("--cpu"));
        }
        if (!(cpu > 0)) {
          throw new IllegalArgumentException("--cpu must be a number > 0 but was "
              + values.get("--cpu"));
        }
      }
      Long mem = null;
      if (values.containsKey("--mem")) {
        try {
          mem = Units.parseBytes(values.get("--mem"));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--mem " + e.getMessage(), e);
        }
        if (mem <= 0) {
          throw new IllegalArgumentException("--mem must be > 0 but was " + values.get("--mem"));
        }
      }
      return new Options(Path.of(rest.get(1)), path(values.get("--out")),
          path(values.get("--stats-json")), cpu, mem, allowOutsideInputs);
    }

    private static @Nullable Path path(@Nullable String s) {
      return s == null ? null : Path.of(s);
    }
  }

  /**
   * The figures of a run, as written by {@code --stats-json}.
   *
   * @param workload the workload file
   * @param machine the cpu and memory the local cluster used
   * @param tasks how many tasks the workload has
   * @param succeeded how many ended DONE with a result
   * @param failed how many ended DONE with an error
   * @param wallSeconds from submission to the last task's end
   * @param allocsUsed how many allocs the scheduler got
   * @param allocsToRunAllAtOnce how many machine-sized allocs running every task at once would
   *     take: ceil(sum of needs / machine), the larger over cpu and memory. A bound on allocs used
   *     only if no alloc ran tasks one after another; on one machine they always do.
   * @param cpuBusy the share of the machine's cpu that running tasks reserved over the wall time
   * @param scheduler the scheduler's stats at the end of the run, as
   *     {@link SchedulerStats#toJson()} writes them
   */
  record RunStats(String workload, Map<String, Double> machine, int tasks, int succeeded,
      int failed, double wallSeconds, long allocsUsed, long allocsToRunAllAtOnce, double cpuBusy,
      JsonNode scheduler) {}

  /** One run of a workload. */
  private static final class Run {
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
        RunStats stats = stats(tasks, cluster.total(), wall, snapshot);
        printSummary(tasks, stats);
        if (options.statsJson() != null) {
          Path parent = options.statsJson().toAbsolutePath().getParent();
          if (parent != null) {
            Files.createDirectories(parent);
          }
          JSON.writeValue(options.statsJson().toFile(), stats);
          out.println("stats        " + options.statsJson());
        }
        return stats.failed() == 0 ? OK : FAILED;
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

    private RunStats stats(List<Task> tasks, Resources machine, long wallNanos,
        SchedulerStats snapshot) throws IOException {
      SchedulerStats.Counts counters = snapshot.counts();
      int succeeded = 0;
      Resources need = Resources.empty();
      double cpuNanos = 0;
      for (Task t : tasks) {
        if (t.status().succeeded()) {
          succeeded++;
        }
        need = need.plus(t.resources());
        cpuNanos += t.resources().get(Resources.CPU) * runNanos.getOrDefault(t, 0L);
      }
      long bound = 0;
      for (String name : List.of(Resources.CPU, Resources.MEM)) {
        if (machine.get(name) > 0) {
          bound = Math.max(bound, (long) Math.ceil(need.get(name) / machine.get(name) - 1e-9));
        }
      }
      long used = counters.allocsLive() + counters.allocsDead() + counters.allocsFreedIdle();
      double wallSeconds = wallNanos / 1e9;
      double cpuBusy = wallNanos > 0 ? cpuNanos / (machine.get(Resources.CPU) * wallNanos) : 0;
      return new RunStats(workload.file().toString(), machine.toOrderedMap(), tasks.size(),
          succeeded, tasks.size() - succeeded, wallSeconds, used, bound, cpuBusy,
          JSON.readTree(snapshot.toJson()));
    }

    private void printSummary(List<Task> tasks, RunStats stats) {
      int width = Math.max(4, tasks.stream().mapToInt(t -> t.name().length()).max().orElse(4));
      String row = "%-" + width + "s  %-6s  %8s  %7s  %s%n";
      out.printf(Locale.ROOT, row, "task", "result", "attempts", "time", "output");
      for (Task t : tasks) {
        TaskStatus s = t.status();
        String time = String.format(Locale.ROOT, "%.1fs", runNanos.getOrDefault(t, 0L) / 1e9);
        String where;
        if (s.succeeded()) {
          ExecResult r = s.result();
          int files = r == null ? 0 : r.outputs().files().size();
          where = outDir.resolve(t.name()) + " (" + files + " file" + (files == 1 ? "" : "s") + ")";
        } else {
          where = describe(s.error());
        }
        out.printf(Locale.ROOT, row, t.name(), s.succeeded() ? "ok" : "FAILED", s.attempt() + 1,
            time, where);
      }
      out.println();
      out.printf(Locale.ROOT, "tasks        %d done, %d failed, of %d%n", stats.succeeded(),
          stats.failed(), stats.tasks());
      out.printf(Locale.ROOT, "allocs       %d used (running every task at once would take %d"
          + " machine-sized allocs: ceil(sum of needs / machine), the larger of cpu and mem)%n",
          stats.allocsUsed(), stats.allocsToRunAllAtOnce());
      out.printf(Locale.ROOT, "cpu busy     %.0f%% of %s reserved by running tasks over the wall"
          + " time%n", stats.cpuBusy() * 100, Resources.of(Resources.CPU,
          stats.machine().getOrDefault(Resources.CPU, 0.0)));
      out.printf(Locale.ROOT, "wall time    %.1f s%n", stats.wallSeconds());
      out.println("output       " + outDir + " (each task's files under <task name>/; scheduler"
          + " log stowage.log)");
    }

    private static String describe(@Nullable TaskException e) {
      if (e == null) {
        return "";
      }
      String text = e.kind() + ": " + e.getMessage();
      ExecResult r = e.result();
      if (r != null && !r.stderr().isBlank()) {
        String[] lines = r.stderr().strip().split("\n");
        text += " | stderr: " + lines[lines.length - 1];
      }
      return text;
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
