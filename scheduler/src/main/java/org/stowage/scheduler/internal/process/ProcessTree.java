package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The processes of an exec, or of all the execs of an alloc: how to find them all and kill them.
 * Not API.
 *
 * <p>A tree is named by up to four things, each of which catches processes the others miss:
 *
 * <ul>
 *   <li>its root: the process the exec started, and that process's descendants
 *       ({@link ProcessHandle#descendants()}). A process whose parent ended is re-parented and
 *       leaves this set.
 *   <li>a marker: on Linux, every process whose environment carries {@value #MARKER} with a
 *       value starting with the tree's. A re-parented process keeps the environment it inherited,
 *       but a program may drop the variable ({@code env -u}) or clear its environment.
 *   <li>a session: on Linux, every process of the session the exec's process leads (it is started
 *       under {@code setsid}, see {@link ConfinedCommand}). A re-parented process stays in its
 *       session, environment or not, unless it calls {@code setsid(2)} itself.
 *   <li>a {@link Cgroup}: every process in it. Nothing a process does for itself takes it out;
 *       only one allowed to write into another cgroup's {@code cgroup.procs} can move out.
 * </ul>
 *
 * <p>A zombie (a process that ended and waits for its parent to collect its exit status) counts
 * as ended: it runs nothing and holds no file open, and in a container whose init is slow to reap,
 * waiting for it to vanish could take seconds.
 *
 * <p>Thread-safety: immutable; every method may be called from any thread.
 */
public final class ProcessTree {

  /** The environment variable that marks every process of an exec. */
  public static final String MARKER = "STOWAGE_EXEC";

  private static final Path PROC = Path.of("/proc");
  private static final boolean HAVE_PROC = Files.isRegularFile(PROC.resolve("self/environ"));
  private static final long SELF = ProcessHandle.current().pid();
  private static final long FIRST_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long LONGEST_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final @Nullable ProcessHandle root;
  private final String markerPrefix;
  private final @Nullable ProcessHandle sessionLeader;
  private final @Nullable Cgroup cgroup;

  /**
   * Names a tree of processes; any of the four may be left out.
   *
   * @param root the process the exec started, whose descendants belong to the tree; null once
   *     it ended (its pid may then be another process's)
   * @param markerPrefix the start of {@value #MARKER}'s value in the processes' environments; end
   *     it with {@code "\0"} to match one value exactly (the environment separates its entries
   *     with NUL); empty for no marker
   * @param sessionLeader the process that leads the tree's session (its pid is the session's id),
   *     even once it ended: the session is not matched once another process has its pid
   * @param cgroup the cgroup whose processes (those of the cgroups inside it included) belong to
   *     the tree
   */
  public ProcessTree(@Nullable ProcessHandle root, String markerPrefix,
      @Nullable ProcessHandle sessionLeader, @Nullable Cgroup cgroup) {
    this.root = root;
    this.markerPrefix = markerPrefix;
    this.sessionLeader = sessionLeader;
    this.cgroup = cgroup;
  }

  /**
   * Returns the running processes of the tree, never the current JVM.
   *
   * @return the processes, in no particular order
   */
  public Set<ProcessHandle> find() {
    Set<ProcessHandle> found = new LinkedHashSet<>();
    if (root != null && running(root)) {
      found.add(root);
      root.descendants().filter(ProcessTree::running).forEach(found::add);
    }
    if (cgroup != null) {
      for (long pid : cgroup.pids()) {
        ProcessHandle.of(pid).filter(h -> h.pid() != SELF && running(h)).ifPresent(found::add);
      }
    }
    if (HAVE_PROC && (!markerPrefix.isEmpty() || sessionLeader != null)) {
      scanProc(found);
    }
    return found;
  }

  /**
   * Kills the tree: sends its processes a polite termination signal, gives them {@code grace} to
   * end, then kills forcibly what it finds of the tree then (the cgroup through
   * {@link Cgroup#kill()}), again and again while it finds some, for up to {@code grace} more.
   * The first search runs on the calling thread; the checks and the later searches (a scan of
   * {@code /proc}) run on {@code timer}.
   *
   * @param grace how long to wait after the polite signal, and at most after the forced one
   * @param timer runs the checks
   * @return a future completing with the processes still running at the end (empty unless a
   *     process could not be killed, for example one stuck in uninterruptible I/O, or the tree
   *     kept forking faster than it was killed)
   */
  public CompletableFuture<List<ProcessHandle>> kill(Duration grace,
      ScheduledExecutorService timer) {
    Set<ProcessHandle> targets = find();
    if (targets.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    targets.forEach(ProcessHandle::destroy);
    return ended(targets, grace, timer)
        .thenCompose(ignored -> killForcibly(System.nanoTime() + grace.toNanos(), timer));
  }

  private CompletableFuture<List<ProcessHandle>> killForcibly(long deadline,
      ScheduledExecutorService timer) {
    Set<ProcessHandle> left = find();
    if (left.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    if (cgroup != null) {
      cgroup.kill();
    }
    left.forEach(ProcessHandle::destroyForcibly);
    long wait = Math.max(0, deadline - System.nanoTime());
    return ended(left, Duration.ofNanos(wait), timer).thenCompose(survivors ->
        System.nanoTime() >= deadline
            ? CompletableFuture.completedFuture(survivors)
            : killForcibly(deadline, timer));
  }

  /**
   * Returns a future that completes once none of {@code processes} runs, or after {@code timeout}
   * with those still running. No event tells a JVM that a process it did not start has ended, so
   * this checks again and again, at first often and then up to every 100 ms, on {@code timer}.
   *
   * @param processes the processes to wait for
   * @param timeout how long to wait at most
   * @param timer runs the checks
   * @return a future of the processes still running at the end
   */
  public static CompletableFuture<List<ProcessHandle>> ended(
      Collection<ProcessHandle> processes, Duration timeout, ScheduledExecutorService timer) {
    CompletableFuture<List<ProcessHandle>> done = new CompletableFuture<>();
    check(List.copyOf(processes), System.nanoTime() + timeout.toNanos(), FIRST_CHECK_NANOS, timer,
        done);
    return done;
  }

  private static void check(List<ProcessHandle> processes, long deadline, long interval,
      ScheduledExecutorService timer, CompletableFuture<List<ProcessHandle>> done) {
    List<ProcessHandle> left = new ArrayList<>();
    for (ProcessHandle h : processes) {
      if (running(h)) {
        left.add(h);
      }
    }
    long now = System.nanoTime();
    if (left.isEmpty() || now >= deadline) {
      done.complete(List.copyOf(left));
      return;
    }
    long wait = Math.min(interval, deadline - now);
    try {
      timer.schedule(() -> check(left, deadline, Math.min(interval * 2, LONGEST_CHECK_NANOS), timer,
          done), wait, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      // The timer is shut down (the cluster is closing): report what still runs now.
      done.complete(List.copyOf(left));
    }
  }

  /**
   * Returns true if the process exists and is not a zombie.
   *
   * @param h the process
   * @return whether it runs
   */
  public static boolean running(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    if (!HAVE_PROC) {
      return true;
    }
    Stat stat = stat(h.pid());
    return stat == null ? h.isAlive() : stat.running();
  }

  /** Adds the running processes of the session and those carrying the marker. */
  private void scanProc(Set<ProcessHandle> found) {
    long session = session();
    @Nullable String needle = markerPrefix.isEmpty() ? null : MARKER + "=" + markerPrefix;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path entry : entries) {
        long pid = pid(entry.getFileName().toString());
        if (pid <= 0 || pid == SELF) {
          continue;
        }
        Stat stat = stat(pid);
        if (stat == null || !stat.running()) {
          continue;
        }
        if (stat.session() == session || (needle != null && carries(pid, needle))) {
          ProcessHandle.of(pid).filter(ProcessTree::running).ifPresent(found::add);
        }
      }
    } catch (IOException | RuntimeException e) {
      // /proc cannot be listed: the root, its descendants and the cgroup are all there is.
    }
  }

  /**
   * Returns the id of the tree's session, or -1 if it has none or its leader's pid now names
   * another process (so that another session may have that id).
   */
  private long session() {
    ProcessHandle leader = sessionLeader;
    if (leader == null) {
      return -1;
    }
    Optional<ProcessHandle> now = ProcessHandle.of(leader.pid());
    return now.isPresent() && !now.get().equals(leader) ? -1 : leader.pid();
  }

  /** A process's state and session, from {@code /proc/PID/stat}. */
  private record Stat(char state, long session) {
    boolean running() {
      return state != 'Z' && state != 'X';
    }
  }

  private static @Nullable Stat stat(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"),
          StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      return null; // gone
    }
    // "pid (command) state ppid pgrp session ...": the command may hold spaces and parentheses,
    // the fields follow the last ')'.
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return null;
    }
    String[] fields = stat.substring(close + 1).strip().split(" ");
    if (fields.length < 4 || fields[0].isEmpty()) {
      return null;
    }
    try {
      return new Stat(fields[0].charAt(0), Long.parseLong(fields[3]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static long pid(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) < '0' || name.charAt(i) > '9') {
        return -1;
      }
    }
    try {
      return name.isEmpty() ? -1 : Long.parseLong(name);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean carries(long pid, String needle) {
    byte[] environ;
    try {
      environ = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return false; // gone, or another user's process: not ours either way
    }
    String env = new String(environ, StandardCharsets.ISO_8859_1);
    return env.startsWith(needle) || env.contains("\0" + needle);
  }

  @Override
  public String toString() {
    return "processes" + (root != null ? " of " + root.pid() : "")
        + (markerPrefix.isEmpty() ? "" : " marked " + MARKER + "="
            + markerPrefix.replace("\0", ""))
        + (sessionLeader != null ? " in session " + sessionLeader.pid() : "")
        + (cgroup != null ? " in " + cgroup : "");
  }
}
