package org.stowage.scheduler.local;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
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

  /** A scheduler that packs at once and retries refused allocations quickly. */
  static Scheduler.Builder scheduler(LocalCluster cluster, Repository repository) {
    return Scheduler.newBuilder()
        .cluster(cluster)
        .repository(repository)
        .drainTimeout(Duration.ofMillis(20))
        .allocBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .closeTimeout(WAIT);
  }

  /**
   * Returns a number no other process on the machine has in its command line, to name the
   * processes of one test: {@code sleep <marker>} sleeps for days and is easy to find.
   */
  static String marker() {
    return Long.toString(ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L));
  }

  /** Returns the running (not zombie) processes whose command line holds {@code marker}. */
  static List<ProcessHandle> processesWith(String marker) {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().orElse("").contains(marker))
        .filter(ProcessTree::running)
        .toList();
  }

  /** Returns what {@code dir} holds, as paths relative to it; empty if it does not exist. */
  static List<String> contents(Path dir) {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static FileRef put(Repository repository, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Digest digest = repository.put(new ByteArrayInputStream(bytes));
    return new FileRef(digest, bytes.length);
  }

  static String read(Repository repository, FileRef ref) {
    try (InputStream in = repository.get(ref.digest())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
