package org.stowage.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link Repository} in a local directory.
 *
 * <p>Layout under the root:
 *
 * <pre>
 * objects/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
 * tmp/put-1234567890.tmp        (objects being written)
 * </pre>
 *
 * <p>Objects are sharded by the first two hex digits of their digest. Every path is built from a
 * validated {@link Digest}, never from a caller's string, so no operation reads or writes outside
 * the root.
 *
 * <p>{@link #put} streams the bytes to a temporary file in {@code tmp/} (the same file system),
 * digesting them as they go, forces them to disk, removes the file's write permissions and
 * renames it
 * atomically to its object name. A crash or failure never leaves a partial object under an
 * object name; a failed put removes its temporary file (a crash can leave one in {@code tmp/},
 * which is never read). Concurrent puts of the same object, from threads or processes, each
 * write their own temporary file and the renames replace one another with identical bytes.
 *
 * <p>{@link #get} verifies the digest while streaming, so an object truncated or altered on disk
 * is reported as {@link RepositoryException.Kind#CORRUPT}. I/O errors are reported as
 * {@link RepositoryException.Kind#UNAVAILABLE}.
 *
 * <p>Thread-safe. Several instances, in one process or several, may share a root.
 */
public final class FileRepository implements Repository {
  private static final String OBJECTS = "objects";
  private static final String TMP = "tmp";
  private static final Set<PosixFilePermission> WRITE = EnumSet.of(
      PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_WRITE);

  private final Path root;
  private final Path objects;
  private final Path tmp;
  private final String name;

  private FileRepository(Path root) {
    this.root = root;
    this.objects = root.resolve(OBJECTS);
    this.tmp = root.resolve(TMP);
    this.name = "file:" + root;
  }

  /**
   * Opens the repository rooted at {@code root}, creating the directory and its layout if they
   * do not exist. Idempotent; safe to call concurrently for the same root. Temporary files that a
   * crashed writer left in {@code tmp/} more than {@link #STALE_TEMP_AGE} ago are deleted; younger
   * ones may belong to a put in progress in another process, and are left alone.
   *
   * @param root the repository's directory
   * @return the repository
   * @throws IOException if the layout cannot be created, or {@code root} is not a directory
   */
  public static FileRepository open(Path root) throws IOException {
    Files.createDirectories(root);
    Path real = root.toRealPath();
    Files.createDirectories(real.resolve(OBJECTS));
    Path tmp = Files.createDirectories(real.resolve(TMP));
    sweep(tmp, System.currentTimeMillis() - STALE_TEMP_AGE.toMillis());
    return new FileRepository(real);
  }

  /** How old a temporary file must be before {@link #open} takes it for a crashed writer's. */
  public static final java.time.Duration STALE_TEMP_AGE = java.time.Duration.ofHours(1);

  private static void sweep(Path tmp, long olderThanMillis) throws IOException {
    try (var files = Files.newDirectoryStream(tmp, "put-*.tmp")) {
      for (Path f : files) {
        try {
          if (Files.getLastModifiedTime(f).toMillis() < olderThanMillis) {
            Files.deleteIfExists(f);
          }
        } catch (IOException e) {
          // gone already, or not ours to delete: leave it
        }
      }
    }
  }

  /**
   * Returns {@code file:} followed by the root's real path, for example
   * {@code file:/var/lib/stowage}.
   */
  @Override
  public String name() {
    return name;
  }

  /**
   * The repository's directory.
   *
   * @return the root, as a real (absolute, symlink-free) path
   */
  public Path root() {
    return root;
  }

  /**
   * Returns the file holding an object, if it is here, so that a local executor can hard-link
   * it into a sandbox instead of copying it. The file is read-only and must never be modified:
   * its content is its name. Its bytes are not verified by this call.
   *
   * @param digest the object
   * @return the object's file, or empty if the object is not here
   */
  public Optional<Path> file(Digest digest) {
    Path path = objectPath(digest);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  @Override
  public long stat(Digest digest) {
    Path path = objectPath(digest);
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw RepositoryException.corrupt(name, digest, "its path is not a regular file");
      }
      return attributes.size();
    } catch (NoSuchFileException e) {
      throw RepositoryException.notFound(name, digest);
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, digest, "cannot stat: " + e, e);
    }
  }

  @Override
  public InputStream get(Digest digest) {
    Path path = objectPath(digest);
    try {
      return new VerifyingInputStream(Files.newInputStream(path), digest, name);
    } catch (NoSuchFileException e) {
      throw RepositoryException.notFound(name, digest);
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, digest, "cannot open: " + e, e);
    }
  }

  @Override
  public Digest put(InputStream in) {
    Objects.requireNonNull(in, "in");
    Path temp;
    try {
      temp = Files.createTempFile(tmp, "put-", ".tmp");
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, null, "cannot create a temporary file: " + e, e);
    }
    try {
      Digest digest = write(in, temp);
      Path target = objectPath(digest);
      Files.createDirectories(target.getParent());
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        // The platform would not replace the object another put already finished: keep that one.
        Files.deleteIfExists(temp);
      }
      return digest;
    } catch (IOException e) {
      deleteQuietly(temp, e);
      String detail = e instanceof AtomicMoveNotSupportedException
          ? "its tmp and objects directories are on different file systems: " + e
          : "cannot write an object: " + e;
      throw RepositoryException.unavailable(name, null, detail, e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(temp, e);
      throw e;
    }
  }

  @Override
  public Set<Digest> missing(Collection<Digest> digests) {
    Set<Digest> missing = new LinkedHashSet<>();
    for (Digest digest : digests) {
      if (!Files.isRegularFile(objectPath(digest))) {
        missing.add(digest);
      }
    }
    return Collections.unmodifiableSet(missing);
  }

  @Override
  public String toString() {
    return "FileRepository[" + root + "]";
  }

  /** Copies {@code in} to {@code temp}, digesting it, forces it to disk and makes it read-only. */
  private static Digest write(InputStream in, Path temp) throws IOException {
    Digester digester = Digest.newDigester();
    byte[] buffer = new byte[Digester.BUFFER_SIZE];
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      for (int n; (n = in.read(buffer)) != -1; ) {
        digester.update(buffer, 0, n);
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          channel.write(chunk);
        }
      }
      channel.force(false);
    }
    makeReadOnly(temp);
    return digester.digest();
  }

  /** Removes every write permission from {@code file}, where the file system has them. */
  private static void makeReadOnly(Path file) throws IOException {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      permissions.removeAll(WRITE);
      Files.setPosixFilePermissions(file, permissions);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the object stays writable; the digest check still catches edits.
    }
  }

  /** Deletes {@code temp} after {@code failure}; a failure to delete is recorded on it. */
  private static void deleteQuietly(Path temp, Throwable failure) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** The object's path: built only from a validated digest, so it is always under the root. */
  private Path objectPath(Digest digest) {
    String hex = digest.hex();
    return objects.resolve(hex.substring(0, 2)).resolve(hex);
  }
}
