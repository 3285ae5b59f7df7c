package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;
import org.stowage.repository.RepositoryException;

/**
 * The working directory of one exec: its inputs laid out as read-only copies of its own, each
 * checked against its digest, and an empty {@value #OUT} directory for its outputs.
 *
 * <p>Inputs are copies, not links to the alloc's objects, so that nothing an exec does to its
 * inputs (read-only bits do not stop their owner or root from writing them) can reach what
 * another exec reads; and each copy is digested before the exec starts, so that an object
 * damaged in the alloc's repository is never laid out.
 *
 * <p>Thread-safety: stateless; the methods work on the directories they are given, which one exec
 * owns at a time. Shared by the cluster backends (local, Slurm); not API.
 */
public final class Sandbox {

  /** The directory, inside the sandbox, whose regular files are the exec's outputs. */
  public static final String OUT = "out";

  private Sandbox() {}

  /**
   * Creates {@code dir} with the files of {@code inputs} in it, each a read-only copy of its
   * object in {@code repository} that belongs to this sandbox alone and was checked against its
   * digest ({@link FileRepository#copyTo}), and an empty {@value #OUT} directory.
   *
   * @param dir the directory to create
   * @param inputs the files to lay out, by relative path
   * @param repository holds the inputs' objects
   * @throws IllegalArgumentException if an input lies inside {@value #OUT}
   * @throws IllegalStateException if an input's object is not in {@code repository}
   * @throws RepositoryException {@code CORRUPT}, naming the input, if an object's bytes do not
   *     match its digest: the object is deleted from {@code repository}, so that staging the
   *     input again restores it; {@code UNAVAILABLE} if an object cannot be copied
   * @throws IOException if the directory cannot be laid out
   */
  public static void create(Path dir, Fileset inputs, FileRepository repository)
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
      // Fileset paths are relative, without . or .. segments: they stay inside dir.
      Path target = dir.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      try {
        repository.copyTo(digest, target);
      } catch (RepositoryException x) {
        if (x.kind() == RepositoryException.Kind.NOT_FOUND) {
          throw new IllegalStateException(
              "input " + e.getKey() + ": object " + digest + " is not in " + repository.name(), x);
        }
        throw new RepositoryException(x.kind(), x.repository(), digest,
            "input " + e.getKey() + ": " + x.getMessage(), x);
      }
    }
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
