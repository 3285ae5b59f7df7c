package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A cgroup (version 2) that holds the processes of one exec, or of all the execs of an alloc or of
 * a cluster, below the cgroup of this JVM. Linux only. Not API.
 *
 * <p>A process cannot leave a cgroup by itself: forking, re-parenting, a new session or a cleared
 * environment all keep it in, and every process it starts is born in it. Only a process allowed
 * to write into another cgroup's {@code cgroup.procs} (in practice root, or the owner of a
 * delegated cgroup tree) can move itself out. The cgroups made here have no controllers: they
 * count and kill processes, they limit nothing.
 *
 * <p>{@link #forThisJvm} makes one only where the JVM may: the unified (v2) hierarchy is mounted,
 * the JVM's own cgroup in it is writable and a process can be moved into the new cgroup (checked
 * by moving one). Elsewhere (no cgroup v2, a read-only {@code /sys/fs/cgroup} as in most
 * containers, a user whose session cgroup systemd does not delegate) it returns null and the
 * caller goes without.
 *
 * <p>A process is put into the cgroup by writing {@code 0} into {@link #procs()} itself, before it
 * runs the exec's program, so that nothing it starts is ever outside.
 *
 * <p>Thread-safety: immutable; the methods may be called from any thread, and tolerate the
 * directory being removed meanwhile.
 */
public final class Cgroup {

  private static final System.Logger LOG = System.getLogger(Cgroup.class.getName());
  private static final Path SH = Path.of("/bin/sh");
  private static final long PROBE_SECONDS = 10;

  private final Path dir;

  private Cgroup(Path dir) {
    this.dir = dir;
  }

  /**
   * Creates the cgroup {@code name} in the JVM's own cgroup and checks that a process can be
   * moved into it.
   *
   * @param name the new cgroup's directory name
   * @return the cgroup, or null if cgroups cannot be used here (the reason is logged)
   */
  public static @Nullable Cgroup forThisJvm(String name) {
    Path own;
    try {
      own = ownDir();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "no cgroup v2 for this JVM: " + e);
      return null;
    }
    if (own == null || !Files.isExecutable(SH)) {
      LOG.log(Level.DEBUG, "no cgroup v2 for this JVM: the unified hierarchy is not mounted, or"
          + " /bin/sh is missing");
      return null;
    }
    Cgroup cgroup = new Cgroup(own.resolve(name));
    try {
      Files.createDirectory(cgroup.dir);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "cannot create a cgroup in " + own + ": " + e);
      return null;
    }
    String failed = cgroup.probe();
    if (failed != null) {
      LOG.log(Level.DEBUG, "cannot move a process into the cgroup " + cgroup.dir + ": " + failed);
      cgroup.remove();
      return null;
    }
    return cgroup;
  }

  /**
   * Creates a cgroup inside this one.
   *
   * @param name the new cgroup's directory name
   * @return the new cgroup, or null if it could not be created (the reason is logged)
   */
  public @Nullable Cgroup child(String name) {
    Cgroup child = new Cgroup(dir.resolve(name));
    try {
      Files.createDirectory(child.dir);
      return child;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "cannot create the cgroup " + child.dir + "; its processes are"
          + " tracked without it: " + e);
      return null;
    }
  }

  /**
   * Returns the cgroup's directory.
   *
   * @return the directory
   */
  public Path dir() {
    return dir;
  }

  /**
   * Returns the file a process writes {@code 0} into to move itself into this cgroup.
   *
   * @return the path of {@code cgroup.procs}
   */
  public Path procs() {
    return dir.resolve("cgroup.procs");
  }

  /**
   * Returns the pids of the processes in this cgroup and the cgroups inside it; empty once it is
   * removed.
   *
   * @return the pids, zombies perhaps included
   */
  public List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    for (Path d : dirs()) {
      try {
        for (String line : Files.readAllLines(d.resolve("cgroup.procs"),
            StandardCharsets.US_ASCII)) {
          if (!line.isBlank()) {
            pids.add(Long.parseLong(line.strip()));
          }
        }
      } catch (IOException | RuntimeException e) {
        // Removed meanwhile: it holds nothing.
      }
    }
    return pids;
  }

  /**
   * Kills every process in this cgroup and the cgroups inside it forcibly, at once: through
   * {@code cgroup.kill} (Linux 5.14 and later), which also catches a process being forked
   * meanwhile; else with one SIGKILL to each process found.
   */
  public void kill() {
    Path kill = dir.resolve("cgroup.kill");
    if (Files.exists(kill)) {
      try {
        Files.writeString(kill, "1", StandardCharsets.US_ASCII);
        return;
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, () -> "cannot write " + kill + "; killing one process at a time", e);
      }
    }
    for (long pid : pids()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * Removes this cgroup and the cgroups inside it, if no process is left in any of them.
   *
   * @return true if the cgroup is gone
   */
  public boolean remove() {
    List<Path> dirs = dirs();
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path d : dirs) {
      try {
        Files.delete(d);
      } catch (NoSuchFileException e) {
        // Gone already.
      } catch (DirectoryNotEmptyException e) {
        return false;
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, () -> "cannot remove the cgroup " + d + ": " + e);
        return false;
      }
    }
    return !Files.exists(dir);
  }

  @Override
  public String toString() {
    return "cgroup " + dir;
  }

  /** This cgroup's directory and those of the cgroups inside it, parents first. */
  private List<Path> dirs() {
    try (Stream<Path> all = Files.walk(dir)) {
      return new ArrayList<>(all.filter(Files::isDirectory).toList());
    } catch (IOException | RuntimeException e) {
      return new ArrayList<>(); // removed meanwhile
    }
  }

  /** Moves a short-lived shell into the cgroup; returns null if that worked, else why not. */
  private @Nullable String probe() {
    try {
      Process p = new ProcessBuilder(SH.toString(), "-c", "echo 0 > \"$1\"", "stowage-probe",
          procs().toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      p.getOutputStream().close();
      if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "the probe did not end within " + PROBE_SECONDS + " s";
      }
      return p.exitValue() == 0 ? null : "the probe failed with exit code " + p.exitValue();
    } catch (IOException | RuntimeException e) {
      return e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Returns the directory of the JVM's own cgroup in the unified hierarchy, or null if that
   * hierarchy is not mounted where this JVM can see it.
   */
  private static @Nullable Path ownDir() throws IOException {
    Path self = Path.of("/proc/self/cgroup");
    Path mounts = Path.of("/proc/self/mountinfo");
    if (!Files.isReadable(self) || !Files.isReadable(mounts)) {
      return null;
    }
    String own = null;
    for (String line : Files.readAllLines(self, StandardCharsets.UTF_8)) {
      if (line.startsWith("0::")) {
        own = line.substring(3);
      }
    }
    if (own == null || !own.startsWith("/")) {
      return null;
    }
    for (String line : Files.readAllLines(mounts, StandardCharsets.UTF_8)) {
      // id parent major:minor root mount-point options [optional fields...] - type source options
      int dash = line.indexOf(" - ");
      String[] fields = line.split(" ");
      if (dash < 0 || fields.length < 5 || !line.substring(dash + 3).startsWith("cgroup2 ")) {
        continue;
      }
      String root = unescape(fields[3]);
      Path mountPoint = Path.of(unescape(fields[4]));
      if (root.equals("/")) {
        return mountPoint.resolve(own.substring(1));
      }
      if (own.equals(root) || own.startsWith(root + "/")) {
        return mountPoint.resolve(own.substring(root.length()).replaceFirst("^/", ""));
      }
    }
    return null;
  }

  /** Undoes mountinfo's octal escapes of space, tab, newline and backslash ({@code \040}). */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).chars()
          .allMatch(d -> d >= '0' && d <= '7')) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
