package org.stowage.scheduler.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;

/** Helpers shared by the local cluster's tests, which run real processes. */
final class LocalFixtures {

  static final Duration WAIT = Duration.ofSeconds(20);
  static final Resources MACHINE = Resources.of(Resources.CPU, 2, Resources.MEM, 4 * Resources.GiB);

  private LocalFixtures() {}

  /** A cluster of {@link #MACHINE} with its work directory under {@code dir}. */
  static LocalCluster cluster(Path dir) {
    return LocalCluster.newBuilder().cpu(2).memory(4 * Resources.GiB).workDir(dir).build();
  }

  /**
   * Returns shell commands that start {@code sleep <marker>} as a process that has shed every
   * sign of the exec that started it: it runs without the exec's marker in its environment, and
   * its parent exits at once, so that it is re-parented away from the exec's tree. With
   * {@code ownSession} it also starts a session of its own ({@code setsid}). Its pid is written to
   * the file named by the variable {@code PIDS}; see {@link #detached}.
   */
  static String detachedChild(String marker, boolean ownSession) {
    return "(" + (ownSession ? "setsid -f " : "") + "env -u STOWAGE_EXEC sh -c"
        + " 'echo $$ > \"$PIDS\".tmp && mv \"$PIDS\".tmp \"$PIDS\"; exec sleep " + marker
        + "' &)";
  }

  /**
   * Waits for the process {@link #detachedChild} started to write its pid to {@code pidFile} and
   * to leave this JVM's tree of processes, and returns it; checks that it carries no marker.
   */
  static ProcessHandle detached(Path pidFile) {
    AtomicReference<ProcessHandle> child = new AtomicReference<>();
    await().atMost(WAIT).until(() -> {
      if (!Files.exists(pidFile)) {
        return false;
      }
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
      ProcessHandle h = ProcessHandle.of(pid).orElseThrow(
          () -> new AssertionError("the detached child " + pid + " ended already"));
      child.set(h);
      return h.info().commandLine().orElse("").contains("sleep")
          && ProcessHandle.current().descendants().noneMatch(h::equals);
    });
    ProcessHandle h = child.get();
    try {
      String environ = Files.readString(Path.of("/proc/" + h.pid() + "/environ"),
          StandardCharsets.ISO_8859_1);
      assertFalse(environ.contains("STOWAGE_EXEC="), "the child dropped the marker");
    } catch (IOException e) {
      // Not Linux: there is no marker to look for.
    }
    return h;
  }

  /** A scheduler that packs at once and retries refused allocations quickly. */
  static Scheduler.Builder scheduler(LocalCluster cluster, Repository repository) {
    return Scheduler.newBuilder()
        .cluster(cluster)
        .repository(repository)
        .drainTimeout(Duration.ofMillis(20))
        .allocBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .closeTimeout(WAIT);
  }
}
