package org.stowage.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Resources;

/**
 * A workload file, read and checked: the tasks to run, each with its input files on disk. The
 * format is described in the package comment; {@link WorkloadReader} reads a file and
 * {@link WorkloadChecker} checks it, reporting every problem with the path of the entry and field
 * it concerns, such as {@code tasks[3].resources.cpu}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param file the workload file
 * @param tasks the tasks, in file order
 */
record Workload(Path file, List<Spec> tasks) {

  /** The default resources of a task that names none. */
  static final Resources DEFAULT_RESOURCES =
      Resources.of(Resources.CPU, 1, Resources.MEM, 256 * Resources.MiB);

  /** Names a task may not take: they are files of the output directory. */
  static final Set<String> RESERVED_NAMES = Set.of("repository", "stowage.log");

  /** Validates and copies the fields. */
  Workload {
    tasks = List.copyOf(tasks);
  }

  /**
   * One task of a workload.
   *
   * @param name unique in the workload; also the name of its output directory
   * @param command the program and its arguments
   * @param env variables added to the environment
   * @param resources what it needs
   * @param priority lower runs first
   * @param timeout how long an attempt may run, or null for no limit
   * @param inputs the files on disk to lay out in its sandbox, by sandbox path
   */
  record Spec(String name, List<String> command, Map<String, String> env, Resources resources,
      int priority, @Nullable Duration timeout, Map<String, Path> inputs) {

    /** Copies the collections. */
    Spec {
      command = List.copyOf(command);
      env = Map.copyOf(env);
      inputs = java.util.Collections.unmodifiableMap(new TreeMap<>(inputs));
    }
  }

  /** A workload file that cannot be run, with every problem found (up to a bound). */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    Invalid(Path file, List<String> problems) {
      super(file + " is not a valid workload: " + String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    /** Returns the problems, each {@code <entry path>: <what is wrong>}. */
    List<String> problems() {
      return problems;
    }
  }
}
