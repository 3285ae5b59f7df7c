package org.stowage.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.Scheduler;
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
      err.print(Options.HELP);
      return USAGE;
    }
    if (options == null) {
      out.print(Options.HELP);
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
}
