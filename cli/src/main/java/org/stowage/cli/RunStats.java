package org.stowage.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.Task;

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
    JsonNode scheduler) {

  /** Writes {@code --stats-json}, and reads the scheduler's stats into it. */
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  /**
   * Works out the figures of a run that has ended.
   *
   * @param workload the workload file
   * @param tasks the workload's tasks, all done
   * @param machine the cpu and memory the local cluster used
   * @param wallNanos from submission to the last task's end
   * @param runNanos how long each task ran, over all its attempts
   * @param snapshot the scheduler's stats at the end of the run
   * @return the figures
   * @throws IOException if the scheduler's stats are not valid JSON
   */
  static RunStats of(Path workload, List<Task> tasks, Resources machine, long wallNanos,
      Map<Task, Long> runNanos, SchedulerStats snapshot) throws IOException {
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
    return new RunStats(workload.toString(), machine.toOrderedMap(), tasks.size(),
        succeeded, tasks.size() - succeeded, wallSeconds, used, bound, cpuBusy,
        JSON.readTree(snapshot.toJson()));
  }

  /**
   * Writes the figures to {@code file} as JSON, creating its directory if need be.
   *
   * @param file where {@code --stats-json} said
   * @throws IOException if it cannot be written
   */
  void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    JSON.writeValue(file.toFile(), this);
  }
}
