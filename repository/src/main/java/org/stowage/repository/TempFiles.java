package org.stowage.repository;

import static org.stowage.repository.FileLayout.NOFOLLOW;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The temporary files of a {@link FileRepository}: each put writes its object to a new file
 * {@code tmp/put-<random>.tmp} and renames it to the object's name once complete, so a file left
 * in {@code tmp/} is a put in progress or a crashed writer's, which {@link FileRepository#open}
 * sweeps once it is old enough. Nothing ever reads them. Not API.
 *
 * <p>Thread-safe (stateless).
 */
final class TempFiles {
  private static final String PREFIX = "put-";
  private static final String SUFFIX = ".tmp";

  private TempFiles() {}

  /** Returns a new name for a temporary file in {@code tmp}, picked at random. */
  static Path newPath(Path tmp) {
    return tmp.resolve(PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
        + SUFFIX);
  }

  /**
   * Deletes the temporary files in {@code tmp} last modified before {@code olderThanMillis}, a
   * time in milliseconds since the epoch; a file that cannot be deleted is left alone.
   *
   * @throws IOException if {@code tmp} cannot be listed
   */
  static void sweep(Path tmp, long olderThanMillis) throws IOException {
    try (var files = Files.newDirectoryStream(tmp, PREFIX + "*" + SUFFIX)) {
      for (Path f : files) {
        try {
          if (Files.getLastModifiedTime(f, NOFOLLOW).toMillis() < olderThanMillis) {
            Files.deleteIfExists(f);
          }
        } catch (IOException e) {
          // gone already, or not ours to delete: leave it
        }
      }
    }
  }
}
