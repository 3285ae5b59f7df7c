package org.stowage.scheduler.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;

/**
 * The working directory of one exec: its inputs laid out read-only, an empty {@value #OUT}
 * directory for its outputs.
 *
 * <p>Thread-safety: stateless; the methods work on the directories they are given, which one exec
 * owns at a time. Shared by the cluster backends (local, Slurm); not API.
 */
public final class Sandbox {

  /** The directory, inside the sandbox, whose regular files are the exec's outputs. */
  public static final String OUT = "out";

  private Sandbox() {}

  /**
   * Creates {@code dir} with the files of {@code inputs} in it, each a hard link to its object in
   * {@code repository} (a read-only copy where the file system cannot link), and an empty
   * {@value #OUT} directory.
   *
   * @param dir the directory to create
   * @param inputs the files to lay out, by relative path
   * @param repository holds the inputs' objects
   * @return what each input file was when it was laid out, to tell later whether the exec
   *     changed it in place ({@link #tampered})
   * @throws IllegalArgumentException if an input lies inside {@value #OUT}
   * @throws IllegalStateException if an input's object is not in {@code repository}
   * @throws IOException if the directory cannot be laid out
   */
  public static Map<String, Stamp> create(Path dir, Fileset inputs, FileRepository repository)
      throws IOException {
    for (String path : inputs.files().keySet()) {
      if (path.equals(OUT) || path.startsWith(OUT + "/")) {
        throw new IllegalArgumentException("input " + path + " lies inside " + OUT
            + "/, where the exec's outputs are collected");
      }
    }
    Files.createDirectories(dir);
    Files.createDirectory(dir.resolve(OUT));
    for (Map.Entry<String, FileRef> e : inputs.files().entrySet()) {
      Digest digest = e.getValue().digest();
      Path object = repository.file(digest).orElseThrow(() -> new IllegalStateException(
          "input " + e.getKey() + ": object " + digest + " is not in " + repository.name()));
      // Fileset paths are relative, without . or .. segments: they stay inside dir.
      Path target = dir.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      link(object, target);
    }
    Map<String, Stamp> stamps = new TreeMap<>();
    for (Map.Entry<String, FileRef> e : inputs.files().entrySet()) {
      Stamp file = Stamp.of(dir.resolve(e.getKey()));
      Path object = repository.file(e.getValue().digest()).orElse(null);
      boolean linked = file.key() != null && object != null
          && file.key().equals(Stamp.of(object).key());
      stamps.put(e.getKey(), linked ? file : new Stamp(null, file.size(), file.modified()));
    }
    return stamps;
  }

  /**
   * What an input file was when it was laid out: which file (its file key, an inode on Unix), its
   * size and its modification time.
   *
   * @param key the file system's key for the file if it is a link to its object (the same file),
   *     else null: a copy
   * @param size the size in bytes
   * @param modified the last modification time, in nanoseconds since the epoch
   */
  public record Stamp(@Nullable Object key, long size, long modified) {

    static Stamp of(Path file) throws IOException {
      BasicFileAttributes a =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
    }
  }

  /**
   * Finds the inputs an exec changed in place, and removes from {@code repository} each object
   * that changed with them. Inputs are hard links to the repository's objects: they are read-only,
   * but a process running as their owner or as root can write one anyway, and would then change
   * the object that every later exec on the alloc reads. An input the exec deleted or replaced by
   * a new file is harmless and not reported; nor is one that is a copy of its object. An exec that
   * read a link whose object another exec changed meanwhile is reported too: it read changed
   * bytes.
   *
   * @param dir the exec's sandbox
   * @param inputs the exec's inputs
   * @param stamps what {@link #create} returned for them
   * @param repository the alloc's repository
   * @return the paths of the inputs that changed under the exec; their objects are now gone from
   *     {@code repository}
   */
  public static List<String> tampered(Path dir, Fileset inputs, Map<String, Stamp> stamps,
      FileRepository repository) {
    List<String> changed = new ArrayList<>();
    for (Map.Entry<String, Stamp> e : stamps.entrySet()) {
      Stamp before = e.getValue();
      try {
        Stamp now = Stamp.of(dir.resolve(e.getKey()));
        if (before.key() == null || !before.key().equals(now.key())
            || (now.size() == before.size() && now.modified() == before.modified())) {
          continue;
        }
        changed.add(e.getKey());
        Digest digest = inputs.files().get(e.getKey()).digest();
        Path object = repository.file(digest).orElse(null);
        if (object != null && before.key().equals(Stamp.of(object).key())) {
          Files.deleteIfExists(object);
        }
      } catch (IOException | RuntimeException x) {
        // deleted or replaced by the exec: its object is untouched
      }
    }
    return changed;
  }

  /**
   * Puts every regular file under {@code dir}/{@value #OUT} into {@code repository} and returns
   * them by their path relative to {@value #OUT}. Symbolic links and other special files are
   * skipped: they are not content a task can hand on.
   *
   * @param dir the sandbox directory
   * @param repository where the outputs' objects go
   * @return the outputs, by relative path
   * @throws IllegalArgumentException if a file's path cannot be a {@link Fileset} path (it holds
   *     a backslash, for example)
   * @throws IOException if a file cannot be read
   */
  public static Fileset collectOutputs(Path dir, Repository repository) throws IOException {
    Path out = dir.resolve(OUT);
    if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
      return Fileset.empty();
    }
    Map<String, FileRef> files = new TreeMap<>();
    Files.walkFileTree(out, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isRegularFile()) {
          Digest digest;
          try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            digest = repository.put(in);
          }
          files.put(relative(out, file), new FileRef(digest, repository.stat(digest)));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return Fileset.of(files);
  }

  /**
   * Deletes {@code dir} and everything under it, first giving back the owner's permissions on
   * directories a process took them from. Symbolic links are deleted, never followed. Does nothing
   * if {@code dir} does not exist.
   *
   * @param dir the directory to delete
   * @throws IOException if something under it cannot be deleted
   */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        makeOwnerWritable(d);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void link(Path object, Path target) throws IOException {
    try {
      Files.createLink(target, object);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(object, target, StandardCopyOption.COPY_ATTRIBUTES);
      makeReadOnly(target);
    }
  }

  private static String relative(Path base, Path file) {
    StringBuilder path = new StringBuilder();
    for (Path segment : base.relativize(file)) {
      if (path.length() > 0) {
        path.append('/');
      }
      path.append(segment);
    }
    return path.toString();
  }

  private static void makeReadOnly(Path file) throws IOException {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      permissions.remove(PosixFilePermission.OWNER_WRITE);
      permissions.remove(PosixFilePermission.GROUP_WRITE);
      permissions.remove(PosixFilePermission.OTHERS_WRITE);
      Files.setPosixFilePermissions(file, permissions);
    } catch (UnsupportedOperationException e) {
      file.toFile().setWritable(false, false);
    }
  }

  private static void makeOwnerWritable(Path dir) throws IOException {
    try {
      Set<PosixFilePermission> permissions =
          Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
      if (permissions.addAll(Set.of(PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE))) {
        Files.setPosixFilePermissions(dir, permissions);
      }
    } catch (UnsupportedOperationException e) {
      dir.toFile().setWritable(true, true);
    }
  }
}
