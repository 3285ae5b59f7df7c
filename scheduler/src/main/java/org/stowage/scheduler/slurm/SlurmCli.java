package org.stowage.scheduler.slurm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Resources;

/**
 * Runs the Slurm client commands ({@code sinfo}, {@code squeue}, {@code scancel}, {@code salloc},
 * {@code srun}) with the cluster's client environment, and reads what the short ones print:
 * the nodes' shapes, a job's state and placement, the jobs of a name, and Slurm's memory notation.
 *
 * <p>Thread-safety: immutable; every method may be called from any thread. The blocking ones say
 * so.
 */
final class SlurmCli {

  /** What a short command (not {@code salloc} or {@code srun}) may take before it is given up. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** The state of a job as {@code squeue} reports it. */
  sealed interface JobState {
    /** RUNNING or CONFIGURING: the allocation is usable. */
    record Alive(String state) implements JobState {}

    /** Any other state, or unknown to Slurm: the allocation is gone. */
    record Gone(String why) implements JobState {}

    /** The controller could not be asked (it is down or unreachable): nothing is known. */
    record Unknown(String why) implements JobState {}
  }

  /** Where Slurm runs a granted job and what the job holds, as {@code squeue} says. */
  record Grant(String node, long cpus, long memoryMiB) {}

  /** How a command ended. */
  record Output(int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    /** Returns stderr, else stdout, trimmed: what to quote in a message. */
    String message() {
      String s = stderr.strip();
      return s.isEmpty() ? stdout.strip() : s;
    }
  }

  private final Map<String, String> environment;
  private final Executor executor;

  SlurmCli(Map<String, String> environment, Executor executor) {
    this.environment = Map.copyOf(environment);
    this.executor = executor;
  }

  /** Returns the environment every Slurm command runs with. */
  Map<String, String> environment() {
    return environment;
  }

  /**
   * Returns a process builder for {@code command} with the client environment (and no
   * {@code SLURM_JWT}, which would make {@code srun} authenticate in a way slurmd rejects).
   */
  ProcessBuilder builder(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(environment);
    env.remove("SLURM_JWT");
    return builder;
  }

  /**
   * Runs a short command to its end and returns its output. Blocks up to
   * {@link #COMMAND_TIMEOUT}.
   *
   * @throws UncheckedIOException if the command cannot be started or does not end in time
   */
  Output run(String... command) {
    List<String> cmd = List.of(command);
    Process process;
    try {
      process = builder(cmd).redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(),
          e);
    }
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()), executor);
    String out = readAll(process.getInputStream());
    try {
      if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new UncheckedIOException(new IOException(
            String.join(" ", cmd) + " did not end within " + COMMAND_TIMEOUT));
      }
      return new Output(process.exitValue(), out, err.get(COMMAND_TIMEOUT.toMillis(),
          TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running " + cmd, e));
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new UncheckedIOException(new IOException("reading the errors of " + cmd + ": " + e, e));
    }
  }

  /**
   * Asks {@code squeue} for the state of job {@code jobId}. Blocks for one {@code squeue} call
   * (milliseconds; up to about 10 s when the controller is unreachable).
   */
  JobState state(long jobId) {
    Output out;
    try {
      // -t all: without it, a job that ended (CANCELLED, NODE_FAIL...) is not listed at all.
      out = run("squeue", "-h", "-t", "all", "-j", Long.toString(jobId), "-o", "%T");
    } catch (UncheckedIOException e) {
      return new JobState.Unknown("squeue failed: " + e.getMessage());
    }
    String text = out.stdout().strip();
    if (out.ok()) {
      if (text.isEmpty()) {
        return new JobState.Gone("job " + jobId + " is no longer listed by squeue");
      }
      String state = text.lines().findFirst().orElse("").strip();
      return state.equals("RUNNING") || state.equals("CONFIGURING")
          ? new JobState.Alive(state) : new JobState.Gone("job " + jobId + " is " + state);
    }
    String message = out.message();
    if (message.contains("Invalid job id")) {
      return new JobState.Gone("job " + jobId + " is unknown to Slurm (" + message + ")");
    }
    return new JobState.Unknown("squeue for job " + jobId + " failed with exit code "
        + out.exitCode() + ": " + message);
  }

  /**
   * Asks {@code sinfo} for the cpus and memory of every node, of {@code partition} unless it is
   * null. Blocks for one {@code sinfo} call.
   *
   * @throws IllegalStateException if {@code sinfo} cannot be run, fails or lists no node
   */
  List<Resources> nodes(@Nullable String partition) {
    List<String> cmd = new ArrayList<>(List.of("sinfo", "-h", "-N", "-o", "%N %c %m"));
    if (partition != null) {
      cmd.add("--partition=" + partition);
    }
    Output out;
    try {
      out = run(cmd.toArray(String[]::new));
    } catch (UncheckedIOException e) {
      throw new IllegalStateException("cannot ask Slurm for its nodes: " + e.getMessage(), e);
    }
    if (!out.ok()) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed with exit code "
          + out.exitCode() + ": " + out.message());
    }
    Map<String, Resources> byName = new LinkedHashMap<>();
    for (String line : out.stdout().split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length == 3) {
        byName.put(f[0], Resources.of(Resources.CPU, Long.parseLong(f[1]),
            Resources.MEM, parseMib(f[2]) * (double) Resources.MiB));
      }
    }
    if (byName.isEmpty()) {
      throw new IllegalStateException(String.join(" ", cmd) + " lists no node"
          + (partition != null ? " in partition " + partition : "") + ": " + out.stdout());
    }
    return new ArrayList<>(byName.values());
  }

  /**
   * Asks {@code squeue} which node job {@code jobId} runs on and the cpus and memory it holds.
   * Blocks for one {@code squeue} call.
   *
   * @return what {@code squeue} says, or null if it failed or printed something else
   * @throws UncheckedIOException if {@code squeue} cannot be run or does not end in time
   */
  @Nullable Grant grant(long jobId) {
    Output out = run("squeue", "-h", "-j", Long.toString(jobId), "-o", "%N %C %m");
    String[] f = out.stdout().strip().split("\\s+");
    if (!out.ok() || f.length != 3) {
      return null;
    }
    return new Grant(f[0], Long.parseLong(f[1]), parseMib(f[2]));
  }

  /**
   * Returns the ids of the jobs {@code squeue} lists whose names start with {@code prefix}.
   * Blocks for one {@code squeue} call.
   *
   * @throws UncheckedIOException if {@code squeue} cannot be run or does not end in time
   */
  List<Long> jobsNamed(String prefix) {
    Output out = run("squeue", "-h", "-o", "%i %j");
    List<Long> ids = new ArrayList<>();
    for (String line : out.stdout().split("\n")) {
      String[] f = line.strip().split("\\s+", 2);
      if (f.length == 2 && f[1].startsWith(prefix)) {
        ids.add(Long.parseLong(f[0]));
      }
    }
    return ids;
  }

  /** Cancels jobs; Slurm ignores ids it does not know. Blocks for one {@code scancel} call. */
  Output cancel(List<Long> jobIds) {
    List<String> cmd = new ArrayList<>();
    cmd.add("scancel");
    jobIds.forEach(id -> cmd.add(Long.toString(id)));
    return run(cmd.toArray(String[]::new));
  }

  /** Returns {@code bytes} in whole MiB, rounded up. */
  static long mib(double bytes) {
    return bytes <= 0 ? 0 : (long) Math.ceil(bytes / Resources.MiB - 1e-9);
  }

  /** Parses Slurm's memory notation ({@code 1000M}, {@code 2G}, {@code 512}: MiB) into MiB. */
  static long parseMib(String s) {
    String t = s.strip().toUpperCase(Locale.ROOT);
    if (t.isEmpty()) {
      return 0;
    }
    char unit = t.charAt(t.length() - 1);
    double scale = switch (unit) {
      case 'K' -> 1.0 / 1024;
      case 'M' -> 1;
      case 'G' -> 1024;
      case 'T' -> 1024 * 1024;
      default -> -1;
    };
    String number = scale < 0 ? t : t.substring(0, t.length() - 1);
    return (long) Math.ceil(Double.parseDouble(number) * (scale < 0 ? 1 : scale));
  }

  static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }
}
