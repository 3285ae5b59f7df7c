package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The command line that starts an exec's program so that every process of it can be found again
 * (see {@link ProcessTree}): as the leader of a session of its own, through {@code setsid} (from
 * util-linux, or busybox) where the machine has one, and, given a {@link Cgroup}, inside that
 * cgroup from its first instruction on, through a {@code /bin/sh} that moves itself in and then
 * {@code exec}s the program. Either way the program keeps the pid of the process the JVM started,
 * so its exit code, output and signals are its own. Not API.
 *
 * <p>Neither wrapper can tell the JVM that the program does not exist, so the program is looked
 * up first, as the JVM looks it up (a name with a slash relative to the working directory, any
 * other on the JVM's {@code PATH}), and a program that is not found fails the start at once, as
 * it would without the wrappers. If the exec's environment sets a {@code PATH} of its own, the
 * program is run by the path found, since the wrappers would search the exec's {@code PATH}.
 *
 * <p>If the cgroup cannot be joined when the exec starts, the exec fails with exit code
 * {@value #CANNOT_JOIN} and says why on its standard error, rather than run where it cannot be
 * found again.
 *
 * <p>Thread-safety: stateless.
 */
public final class ConfinedCommand {

  /** The exit code of an exec whose process could not move itself into its cgroup. */
  public static final int CANNOT_JOIN = 125;

  private static final String SH = "/bin/sh";
  private static final String DEFAULT_PATH = ":/bin:/usr/bin"; // the JVM's when PATH is unset
  private static final @Nullable String SETSID = locateSetsid();

  /** Moves the shell into the cgroup whose cgroup.procs is $1, then runs the rest in its place. */
  private static final String JOIN = "{ echo 0 > \"$1\"; } 2>/dev/null || { echo \"stowage: cannot"
      + " move the exec into its cgroup: cannot write $1\" >&2; exit " + CANNOT_JOIN + "; };"
      + " shift; exec \"$@\"";

  private ConfinedCommand() {}

  /**
   * Returns whether execs start as the leaders of sessions of their own: whether a
   * {@code setsid} program was found.
   *
   * @return whether sessions are used
   */
  public static boolean startsSessions() {
    return SETSID != null;
  }

  /**
   * Returns the command line that runs {@code command} confined.
   *
   * @param command the exec's command: the program and its arguments
   * @param workDir the directory it runs in
   * @param environment the variables the exec sets over the JVM's
   * @param cgroup the cgroup to run it in, or null
   * @return the command line to start
   * @throws IOException if the program is not found
   */
  public static List<String> of(List<String> command, Path workDir,
      Map<String, String> environment, @Nullable Cgroup cgroup) throws IOException {
    if (SETSID == null && cgroup == null) {
      return command; // the JVM looks the program up itself
    }
    String program = command.get(0);
    @Nullable String jvmPath = System.getenv("PATH");
    Path found = find(program, workDir, jvmPath);
    @Nullable String childPath =
        environment.containsKey("PATH") ? environment.get("PATH") : jvmPath;
    boolean sameLookup = program.contains("/") || Objects.equals(childPath, jvmPath);
    return wrap(SETSID, cgroup == null ? null : cgroup.procs().toString(),
        sameLookup ? program : found.toString(), command.subList(1, command.size()));
  }

  /**
   * Returns {@code program} and {@code arguments} behind {@code setsid} if given, and behind the
   * shell that joins the cgroup whose {@code cgroup.procs} is {@code procs} if given.
   */
  static List<String> wrap(@Nullable String setsid, @Nullable String procs, String program,
      List<String> arguments) {
    List<String> line = new ArrayList<>();
    if (setsid != null) {
      line.add(setsid);
    }
    if (procs != null) {
      line.addAll(List.of(SH, "-c", JOIN, "stowage-exec", procs));
    }
    line.add(program);
    line.addAll(arguments);
    return List.copyOf(line);
  }

  /**
   * Looks {@code program} up as the JVM does: a name with a slash is a path relative to
   * {@code workDir}, any other is searched on {@code path} (an empty entry is {@code workDir}).
   *
   * @throws IOException if no executable file is found
   */
  static Path find(String program, Path workDir, @Nullable String path) throws IOException {
    if (program.isEmpty()) {
      throw new IOException("the program's name is empty");
    }
    if (program.contains("/")) {
      Path p = workDir.resolve(program);
      if (executable(p)) {
        return p;
      }
      throw new IOException("program " + program + " is not an executable file");
    }
    String dirs = path != null ? path : DEFAULT_PATH;
    for (String dir : dirs.split(":", -1)) {
      Path p = workDir.resolve(dir).resolve(program);
      if (executable(p)) {
        return p;
      }
    }
    throw new IOException("program " + program + " is not on the PATH " + dirs);
  }

  private static boolean executable(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }

  private static @Nullable String locateSetsid() {
    List<String> dirs = new ArrayList<>(List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin"));
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(0, List.of(path.split(":")));
    }
    for (String dir : dirs) {
      if (dir.startsWith("/")) {
        Path p = Path.of(dir, "setsid");
        if (executable(p)) {
          return p.toString();
        }
      }
    }
    return null;
  }
}
