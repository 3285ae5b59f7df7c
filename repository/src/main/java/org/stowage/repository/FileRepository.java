package org.stowage.repository;

import static org.stowage.repository.FileLayout.NOFOLLOW;
import static org.stowage.repository.FileLayout.OBJECTS;
import static org.stowage.repository.FileLayout.TMP;
import static org.stowage.repository.FileLayout.directory;
import static org.stowage.repository.FileLayout.isDirectory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

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
 * validated {@link Digest}, never from a caller's string, and no operation follows a symbolic
 * link: the root is resolved once, by {@link #open}, and below it {@code objects/}, {@code tmp/},
 * the shard directories and the objects must be real directories and files. A link found where
 * one of the directories should be is refused (the operation fails naming the path, with
 * {@link RepositoryException.Kind#UNAVAILABLE}, or {@link #open} with an {@link IOException});
 * an object that is a link is never served ({@link RepositoryException.Kind#CORRUPT} from
 * {@link #get} and {@link #stat}, absent for {@link #missing}, so that staging puts it again and
 * the put replaces the link). Each directory is checked before it is used and objects are opened
 * without following a link; a process that can write under the root could still swap a
 * directory for a link between the check and the use, but what it would get read is served only
 * if its bytes match the digest asked for.
 *
 * <p>{@link #put} streams the bytes to a new temporary file in {@code tmp/} (the same file
 * system), created without write permissions, digesting them as they go, forces them to disk and
 * renames the file atomically to its object name. A crash or failure never leaves a partial
 * object under an object name; a failed put removes its temporary file (a crash can leave one in
 * {@code tmp/}, which is never read). Concurrent puts of the same object, from threads or processes, each
 * write their own temporary file and the renames replace one another with identical bytes.
 *
 * <p>{@link #get} verifies the digest while streaming, so an object truncated or altered on disk
 * is reported as {@link RepositoryException.Kind#CORRUPT} to a reader that reads to the end.
 * {@link #copyTo} (a private copy of an object, for a program to read) and {@link #file} check the
 * whole object before they return, and delete an object whose bytes do not match, so that
 * {@link #missing} reports it and staging puts it again; no object is handed out by this class
 * without its bytes having been checked (objects are read-only, but root and their owner can
 * write them anyway). I/O errors are reported as {@link RepositoryException.Kind#UNAVAILABLE}.
 *
 * <p>Thread-safe. Several instances, in one process or several, may share a root.
 */
public final class FileRepository implements Repository {
  /** The mode of objects and copies on a POSIX file system: readable by the owner, no more. */
  private static final Set<PosixFilePermission> OWNER_READ =
      Set.of(PosixFilePermission.OWNER_READ);
  private static final FileAttribute<?> READ_ONLY =
      PosixFilePermissions.asFileAttribute(OWNER_READ);

  private final Path root;
  private final String name;
  private final FileLayout layout;
  /** Whether the file system has POSIX permissions, so that objects can be born read-only. */
  private final boolean posix;

  private FileRepository(Path root) {
    this.root = root;
    this.name = "file:" + root;
    this.layout = new FileLayout(root, name);
    this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /**
   * Opens the repository rooted at {@code root}, creating the directory and its layout if they
   * do not exist. Idempotent; safe to call concurrently for the same root. Temporary files that a
   * crashed writer left in {@code tmp/} more than {@link #STALE_TEMP_AGE} ago are deleted; younger
   * ones may belong to a put in progress in another process, and are left alone.
   *
   * <p>{@code root} itself may be reached through symbolic links: it is resolved to its real path
   * once, here. Below it, nothing is followed.
   *
   * @param root the repository's directory
   * @return the repository
   * @throws IOException if the layout cannot be created, {@code root} is not a directory, or
   *     {@code objects/} or {@code tmp/} under it is a symbolic link or not a directory (the
   *     message names the path)
   */
  public static FileRepository open(Path root) throws IOException {
    Files.createDirectories(root);
    Path real = root.toRealPath();
    directory(real.resolve(OBJECTS));
    Path tmp = directory(real.resolve(TMP));
    TempFiles.sweep(tmp, System.currentTimeMillis() - STALE_TEMP_AGE.toMillis());
    return new FileRepository(real);
  }

  /** How old a temporary file must be before {@link #open} takes it for a crashed writer's. */
  public static final java.time.Duration STALE_TEMP_AGE = java.time.Duration.ofHours(1);

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
   * Returns the file holding an object, if it is here, after reading it through and checking its
   * bytes against {@code digest}. The file is the object itself, read-only, and must never be
   * modified or handed to anything that might modify it (its content is its name, and read-only
   * permission bits do not stop root): to give an object to a program, make it a copy of its
   * own with {@link #copyTo}. The check holds when this method returns, not after.
   *
   * @param digest the object
   * @return the object's file, or empty if the object is not here
   * @throws RepositoryException {@code CORRUPT} if the bytes do not match (the object is then
   *     deleted, so that {@link #missing} reports it and staging puts it again) or the object's
   *     path holds something other than a regular file, such as a symbolic link;
   *     {@code UNAVAILABLE} if a directory on the way to it is a symbolic link, or reading fails
   */
  public Optional<Path> file(Digest digest) {
    Path path = layout.objectPath(digest);
    try {
      if (layout.attributes(digest) == null) {
        return Optional.empty();
      }
      try (InputStream in = layout.open(digest, path)) {
        verify(digest, Digest.of(in), path);
      }
      return Optional.of(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, digest, "cannot read: " + e, e);
    }
  }

  /**
   * Creates {@code target} as a copy of an object that is the caller's own, and checks the copy
   * against {@code digest} before returning: how a local executor lays an input into a sandbox.
   * Whatever is done to the copy later, by its owner or by root, cannot change the object or
   * another copy; and a copy whose bytes do not match is never left in place.
   *
   * <p>The copy is made by {@link Files#copy(Path, Path, java.nio.file.CopyOption...)}, which the
   * platform may do in the kernel (or, on a file system that clones files, by sharing blocks that
   * a later write to either file unshares), then read back and digested. It is readable by its
   * owner and writable by nobody (where the file system has POSIX permissions).
   *
   * @param digest the object
   * @param target the file to create; nothing may be there yet, and its directory must exist
   * @return the object's size in bytes
   * @throws RepositoryException {@code NOT_FOUND} if the object is not here; {@code CORRUPT} if the
   *     copy's bytes do not match {@code digest}, in which case the object is deleted (so that
   *     {@link #missing} reports it and staging puts it again), or if its path holds something
   *     other than a regular file, such as a symbolic link; {@code UNAVAILABLE} if a directory on
   *     the way to it is a symbolic link, {@code target} exists already, or I/O fails. In every
   *     case {@code target} is not left behind.
   */
  public long copyTo(Digest digest, Path target) {
    Objects.requireNonNull(target, "target");
    Path path = layout.objectPath(digest);
    boolean created = false;
    try {
      BasicFileAttributes attributes = layout.attributes(digest);
      if (attributes == null) {
        throw RepositoryException.notFound(name, digest);
      }
      Files.copy(path, target, NOFOLLOW);
      created = true;
      if (posix) {
        // Not through a link, should one have been copied in place of the object.
        Files.getFileAttributeView(target, PosixFileAttributeView.class, NOFOLLOW)
            .setPermissions(OWNER_READ);
      }
      Digester digester = Digest.newDigester();
      byte[] buffer = new byte[Digester.BUFFER_SIZE];
      try (InputStream in = Files.newInputStream(target, NOFOLLOW)) {
        for (int n; (n = in.read(buffer)) != -1; ) {
          digester.update(buffer, 0, n);
        }
      }
      long size = digester.size();
      verify(digest, digester.digest(), path);
      return size;
    } catch (IOException e) {
      deleteQuietly(created ? target : null, e);
      if (e instanceof NoSuchFileException gone && path.toString().equals(gone.getFile())) {
        throw RepositoryException.notFound(name, digest);
      }
      throw RepositoryException.unavailable(name, digest, "cannot copy it to " + target + ": " + e,
          e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(created ? target : null, e);
      throw e;
    }
  }

  /**
   * Returns the size of an object.
   *
   * @throws RepositoryException {@code CORRUPT} if its path holds something other than a regular
   *     file, such as a symbolic link; {@code UNAVAILABLE} also if a directory on the way to it
   *     is a symbolic link
   */
  @Override
  public long stat(Digest digest) {
    try {
      BasicFileAttributes attributes = layout.attributes(digest);
      if (attributes == null) {
        throw RepositoryException.notFound(name, digest);
      }
      return attributes.size();
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, digest, "cannot stat: " + e, e);
    }
  }

  /**
   * Opens an object for reading, without following a symbolic link.
   *
   * @throws RepositoryException {@code CORRUPT} if its path holds something other than a regular
   *     file, such as a symbolic link; {@code UNAVAILABLE} also if a directory on the way to it
   *     is a symbolic link
   */
  @Override
  public InputStream get(Digest digest) {
    Path path = layout.objectPath(digest);
    try {
      if (layout.attributes(digest) == null) {
        throw RepositoryException.notFound(name, digest);
      }
      return new VerifyingInputStream(layout.open(digest, path), digest, name);
    } catch (NoSuchFileException e) {
      throw RepositoryException.notFound(name, digest);
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, digest, "cannot open: " + e, e);
    }
  }

  /**
   * Stores an object; see the class comment for how.
   *
   * @throws RepositoryException {@code UNAVAILABLE} also if {@code tmp/}, {@code objects/} or the
   *     object's shard directory is a symbolic link; nothing is then written through it
   */
  @Override
  public Digest put(InputStream in) {
    Objects.requireNonNull(in, "in");
    Path temp;
    FileChannel channel;
    try {
      directory(layout.tmp());
      temp = TempFiles.newPath(layout.tmp());
      channel = createReadOnly(temp);
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, null, "cannot create a temporary file: " + e, e);
    }
    try {
      Digest digest;
      try (channel) {
        digest = write(in, channel);
      }
      Path target = layout.objectPath(digest);
      directory(layout.objects());
      directory(target.getParent());
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

  /**
   * Returns which of {@code digests} are not here. An object whose path holds a symbolic link (or
   * anything else but a regular file) counts as missing, so that staging puts it again.
   *
   * @throws RepositoryException {@code UNAVAILABLE} also if a directory on the way to an object is
   *     a symbolic link
   */
  @Override
  public Set<Digest> missing(Collection<Digest> digests) {
    Set<Digest> missing = new LinkedHashSet<>();
    for (Digest digest : digests) {
      Path path = layout.objectPath(digest);
      try {
        if (!isDirectory(layout.objects()) || !isDirectory(path.getParent())
            || !Files.isRegularFile(path, NOFOLLOW)) {
          missing.add(digest);
        }
      } catch (IOException e) {
        throw RepositoryException.unavailable(name, digest, "cannot stat: " + e, e);
      }
    }
    return Collections.unmodifiableSet(missing);
  }

  @Override
  public String toString() {
    return "FileRepository[" + root + "]";
  }

  /** Copies {@code in} to {@code channel}, digesting it, and forces it to disk. */
  private static Digest write(InputStream in, FileChannel channel) throws IOException {
    Digester digester = Digest.newDigester();
    byte[] buffer = new byte[Digester.BUFFER_SIZE];
    for (int n; (n = in.read(buffer)) != -1; ) {
      digester.update(buffer, 0, n);
      ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
      while (chunk.hasRemaining()) {
        channel.write(chunk);
      }
    }
    channel.force(false);
    return digester.digest();
  }

  /**
   * Creates {@code file}, which must not exist (not even as a link), and opens it for writing. On
   * a POSIX file system the file is born readable by its owner only and writable by nobody: the
   * returned channel may write it, but no later open can, short of changing its permissions.
   * Elsewhere it stays writable; the digest check still catches edits.
   */
  private FileChannel createReadOnly(Path file) throws IOException {
    Set<OpenOption> options =
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW);
    return posix
        ? FileChannel.open(file, options, READ_ONLY)
        : FileChannel.open(file, options);
  }

  /**
   * Checks that {@code actual}, the digest of bytes read from the object at {@code path}, is
   * {@code digest}; if not, deletes the object, which cannot be trusted, and throws.
   *
   * @throws RepositoryException {@code CORRUPT} if they differ
   */
  private void verify(Digest digest, Digest actual, Path path) {
    if (actual.equals(digest)) {
      return;
    }
    RepositoryException corrupt =
        RepositoryException.corrupt(name, digest, "its bytes have digest " + actual
            + "; the object was deleted, so that it can be put again");
    deleteQuietly(path, corrupt);
    throw corrupt;
  }

  /**
   * Deletes {@code file}, if not null, after {@code failure}; a failure to delete is recorded on
   * it.
   */
  private static void deleteQuietly(@Nullable Path file, Throwable failure) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }
}
