package org.stowage.scheduler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Repository;
import org.stowage.scheduler.internal.process.ProcessTree;

/** Helpers shared by the tests of the clusters that run real processes (local and Slurm). */
public final class ProcessFixtures {

  private ProcessFixtures() {}

  /**
   * Returns a number no other process on the machine has in its command line, to name the
   * processes of one test: {@code sleep <marker>} sleeps for days and is easy to find.
   */
  public static String marker() {
    return Long.toString(ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L));
  }

  /** Returns the running (not zombie) processes whose command line holds {@code marker}. */
  public static List<ProcessHandle> processesWith(String marker) {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().orElse("").contains(marker))
        .filter(ProcessTree::running)
        .toList();
  }

  /** Returns what {@code dir} holds, as paths relative to it; empty if it does not exist. */
  public static List<String> contents(Path dir) {
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

  /** Puts {@code content} into {@code repository} and returns its reference. */
  public static FileRef put(Repository repository, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Digest digest = repository.put(new ByteArrayInputStream(bytes));
    return new FileRef(digest, bytes.length);
  }

  /** Reads the object {@code ref} names from {@code repository} as text. */
  public static String read(Repository repository, FileRef ref) {
    try (InputStream in = repository.get(ref.digest())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
