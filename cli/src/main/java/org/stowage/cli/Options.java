package org.stowage.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The command line of {@link Main}, parsed, and its help text.
 *
 * <p>Thread-safety: immutable.
 *
 * @param workload the workload file
 * @param out the output directory, or null for a new one under the temp directory
 * @param statsJson where to write the run's figures as JSON, or null for nowhere
 * @param cpu the cpus to use, or null for all the JVM sees
 * @param mem the bytes of memory to use, or null for the machine's memory
 * @param allowOutsideInputs whether input files may lie outside the workload file's directory
 */
record Options(Path workload, @Nullable Path out, @Nullable Path statsJson,
    @Nullable Double cpu, @Nullable Long mem, boolean allowOutsideInputs) {

  /** The help text: how to call the command, and its options. */
  static final String HELP = """
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

  /**
   * Parses the command-line arguments.
   *
   * @param args the arguments, such as {@code run workload.json --out results}
   * @return the options, or null if help was asked for
   * @throws IllegalArgumentException saying what is wrong with the command line
   */
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
