package org.stowage.scheduler.slurm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Scheduler;

/**
 * Helpers shared by the Slurm tests, which run against a real Slurm found through
 * {@code SLURM_CONF} (start one with {@code .ci/slurm/start-local-slurm.sh}).
 */
final class SlurmFixtures {

  static final Duration WAIT = Duration.ofSeconds(30);

  /** Asked once per test run: a controller that is down takes seconds to say so. */
  private static final Supplier<@Nullable String> PROBLEM = memoize(SlurmFixtures::slurmProblem);

  private SlurmFixtures() {}

  private static <T> Supplier<T> memoize(Supplier<T> supplier) {
    return new Supplier<>() {
      private boolean known;
      private @Nullable T value;

      @Override
      public synchronized T get() {
        if (!known) {
          value = supplier.get();
          known = true;
        }
        return value;
      }
    };
  }

  /**
   * Checks that a Slurm controller answers. Without one, the calling test is skipped, or fails
   * when the environment variable {@code CI} is {@code true}: CI must prove the backend.
   */
  static void requireSlurm() {
    String problem = PROBLEM.get();
    if (problem == null) {
      return;
    }
    String message = "no Slurm to test against: " + problem + ". Start one with"
        + " `eval \"$(sudo bash .ci/slurm/start-local-slurm.sh)\"` (Debian 12, as root)";
    if ("true".equals(System.getenv("CI"))) {
      fail(message + " (CI=true: the Slurm tests must run)");
    }
    Assumptions.abort(message);
  }

  private static @Nullable String slurmProblem() {
    String conf = System.getenv("SLURM_CONF");
    if (conf == null || conf.isBlank()) {
      return "SLURM_CONF is not set";
    }
    if (!Files.isRegularFile(Path.of(conf))) {
      return "SLURM_CONF=" + conf + " is not a file";
    }
    try {
      Result r = run("sinfo", "-h", "-N", "-o", "%N %T");
      if (r.code != 0 || r.out.isBlank()) {
        return "sinfo failed (exit code " + r.code + "): " + r.err.strip();
      }
    } catch (RuntimeException e) {
      return "cannot run sinfo: " + e.getMessage();
    }
    return null;
  }

  /** A cluster with its shared directory at {@code dir}. */
  static SlurmCluster cluster(Path dir) {
    return SlurmCluster.newBuilder().sharedDir(dir).keepaliveInterval(Duration.ofMillis(500))
        .build();
  }

  /** A scheduler that packs at once and retries refused allocations quickly. */
  static Scheduler.Builder scheduler(SlurmCluster cluster, Repository repository) {
    return Scheduler.newBuilder()
        .cluster(cluster)
        .repository(repository)
        .drainTimeout(Duration.ofMillis(50))
        .allocBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .closeTimeout(WAIT);
  }

  record Result(int code, String out, String err) {}

  /** Runs a command (a Slurm client, say) with this JVM's environment, up to 30 s. */
  static Result run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
          new java.io.File("/dev/null"))).redirectError(ProcessBuilder.Redirect.PIPE).start();
      var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          return "";
        }
      });
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not end in 30 s");
      }
      return new Result(p.exitValue(), out, err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Returns "id name state" of every job whose name starts with {@code prefix}, in any state. */
  static List<String> jobs(String prefix, String states) {
    Result r = run("squeue", "-h", "-t", states, "-o", "%i %j %T");
    List<String> jobs = new ArrayList<>();
    for (String line : r.out.split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length == 3 && f[1].startsWith(prefix)) {
        jobs.add(line.strip());
      }
    }
    return jobs;
  }

  /** Jobs of {@code prefix} that hold or wait for resources. */
  static List<String> liveJobs(String prefix) {
    return jobs(prefix, "PD,R,CG,CF,S");
  }

  /** Returns the job's state, "" if squeue does not list it. */
  static String state(long jobId) {
    return run("squeue", "-h", "-t", "all", "-j", Long.toString(jobId), "-o", "%T").out.strip();
  }

  /** Returns the node the job runs on. */
  static String node(long jobId) {
    return run("squeue", "-h", "-t", "all", "-j", Long.toString(jobId), "-o", "%N").out.strip();
  }

  static long jobId(String allocId) {
    return Long.parseLong(allocId.substring("slurm-".length()));
  }

  /** Returns the state of every node, "n1 idle" and so on. */
  static String nodes() {
    return run("sinfo", "-h", "-N", "-o", "%N %T").out.strip();
  }
}
