package org.stowage.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link FileRepository} keeps its files under its root, and how it reaches them without
 * following a symbolic link: objects under {@code objects/}, sharded by the first two hex digits
 * of their digest, and temporary files in {@code tmp/} (see {@link TempFiles}). Every path is
 * built from a validated {@link Digest}, never from a caller's string. Not API.
 *
 * <p>Thread-safe (immutable).
 */
final class FileLayout {
  static final String OBJECTS = "objects";
  static final String TMP = "tmp";
  static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final Path objects;
  private final Path tmp;
  /** The repository's name, for the messages of its exceptions. */
  private final String name;

  /** The layout under {@code root}, a real path, of the repository called {@code name}. */
  FileLayout(Path root, String name) {
    this.objects = root.resolve(OBJECTS);
    this.tmp = root.resolve(TMP);
    this.name = name;
  }

  /** The directory of the objects' shard directories. */
  Path objects() {
    return objects;
  }

  /** The directory of the temporary files. */
  Path tmp() {
    return tmp;
  }

  /** The object's path: built only from a validated digest, so it is always under the root. */
  Path objectPath(Digest digest) {
    String hex = digest.hex();
    return objects.resolve(hex.substring(0, 2)).resolve(hex);
  }

  /**
   * Returns the attributes of what is at the object's path, without following a link, or null if
   * nothing is there (its shard directory included).
   *
   * @throws RepositoryException {@code CORRUPT} if the path holds something other than a regular
   *     file, such as a symbolic link
   * @throws IOException if the objects directory or the shard directory is a symbolic link or not
   *     a directory, or the attributes cannot be read
   */
  @Nullable BasicFileAttributes attributes(Digest digest) throws IOException {
    Path path = objectPath(digest);
    if (!isDirectory(objects) || !isDirectory(path.getParent())) {
      return null;
    }
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (attributes.isSymbolicLink()) {
      throw RepositoryException.corrupt(name, digest, "its path " + path
          + " is a symbolic link, which a file repository never follows");
    }
    if (!attributes.isRegularFile()) {
      throw RepositoryException.corrupt(name, digest, "its path " + path
          + " is not a regular file");
    }
    return attributes;
  }

  /**
   * Opens the object at {@code path} for reading without following a link (should one have
   * replaced it since {@link #attributes} looked).
   */
  InputStream open(Digest digest, Path path) throws IOException {
    try {
      return Files.newInputStream(path, NOFOLLOW);
    } catch (FileSystemException e) {
      if (!(e instanceof NoSuchFileException) && Files.isSymbolicLink(path)) {
        throw RepositoryException.corrupt(name, digest, "its path " + path
            + " is a symbolic link, which a file repository never follows");
      }
      throw e;
    }
  }

  /**
   * Returns whether {@code dir} exists as a real directory: false if nothing is there.
   *
   * @throws IOException naming the path if it is a symbolic link or something other than a
   *     directory
   */
  static boolean isDirectory(Path dir) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (attributes.isSymbolicLink()) {
      throw new FileSystemException(dir.toString(), null,
          "is a symbolic link, which a file repository never follows");
    }
    if (!attributes.isDirectory()) {
      throw new FileSystemException(dir.toString(), null, "is not a directory");
    }
    return true;
  }

  /**
   * Creates {@code dir} if nothing is there; its parent must exist.
   *
   * @return {@code dir}, a real directory
   * @throws IOException naming the path if it is a symbolic link or something other than a
   *     directory, or cannot be created
   */
  static Path directory(Path dir) throws IOException {
    if (!isDirectory(dir)) {
      try {
        Files.createDirectory(dir);
      } catch (FileAlreadyExistsException e) {
        // Another put created it meanwhile; or something else did: check again.
      }
      isDirectory(dir);
    }
    return dir;
  }
}
