package org.stowage.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;

/**
 * The summary of a run on standard output: a row per task (its result, attempts, running time,
 * and its output directory or why it failed), then the run's figures.
 *
 * <p>Thread-safety: stateless.
 */
final class Summary {

  private Summary() {}

  /**
   * Prints the summary of a run that has ended.
   *
   * @param out where to print it
   * @param tasks the workload's tasks, all done
   * @param stats the run's figures
   * @param runNanos how long each task ran, over all its attempts
   * @param outDir the output directory
   */
  static void print(PrintStream out, List<Task> tasks, RunStats stats, Map<Task, Long> runNanos,
      Path outDir) {
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
