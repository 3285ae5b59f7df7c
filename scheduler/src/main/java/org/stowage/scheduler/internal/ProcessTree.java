package org.stowage.scheduler.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Finds and kills the processes of an exec.
 *
 * <p>An exec's processes are the one it started, that process's descendants and, on Linux, every
 * process whose environment carries the exec's marker ({@value #MARKER}): a child outlives its
 * parent and is re-parented to init, where {@link ProcessHandle#descendants()} no longer sees it,
 * but it keeps the environment it inherited. Elsewhere only the descendants are found.
 *
 * <p>A zombie (a process that ended and waits for its parent to collect its exit status) counts
 * as ended: it runs nothing and holds no file open, and in a container whose init is slow to reap,
 * waiting for it to vanish could take seconds.
 *
 * <p>Thread-safety: stateless; every method may be called from any thread.
 */
public final class ProcessTree {

  /** The environment variable that marks every process of an exec. */
  public static final String MARKER = "STOWAGE_EXEC";

  private static final Path PROC = Path.of("/proc");
  private static final boolean HAVE_PROC = Files.isRegularFile(PROC.resolve("self/environ"));
  private static final long SELF = ProcessHandle.current().pid();
  private static final long FIRST_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long LONGEST_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private ProcessTree() {}

  /**
   * Returns the running processes of {@code root}'s tree and, on Linux, those whose
   * {@value #MARKER} starts with {@code markerPrefix}. Never the current JVM.
   *
   * @param markerPrefix the start of the marker's value; end it with {@code "\0"} to match one
   *     value exactly (the environment separates its entries with NUL)
   */
  public static Set<ProcessHandle> find(@Nullable ProcessHandle root, String markerPrefix) {
    Set<ProcessHandle> found = new LinkedHashSet<>();
    if (root != null && running(root)) {
      found.add(root);
      root.descendants().filter(ProcessTree::running).forEach(found::add);
    }
    if (HAVE_PROC) {
      String needle = MARKER + "=" + markerPrefix;
      ProcessHandle.allProcesses()
          .filter(h -> h.pid() != SELF && carries(h.pid(), needle) && running(h))
          .forEach(found::add);
    }
    return found;
  }

  /**
   * Sends {@code processes} a polite termination signal, gives them {@code grace} to end, then
   * kills the rest forcibly and waits up to {@code grace} again.
   *
   * @return a future completing with the processes that were still running at the end (empty
   *     unless a process could not be killed, for example one stuck in uninterruptible I/O)
   */
  public static CompletableFuture<List<ProcessHandle>> kill(
      Collection<ProcessHandle> processes, Duration grace, ScheduledExecutorService timer) {
    List<ProcessHandle> targets = List.copyOf(processes);
    if (targets.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    targets.forEach(ProcessHandle::destroy);
    return ended(targets, grace, timer).thenCompose(survivors -> {
      survivors.forEach(ProcessHandle::destroyForcibly);
      return ended(survivors, grace, timer);
    });
  }

  /**
   * Returns a future that completes once none of {@code processes} runs, or after {@code timeout}
   * with those still running. No event tells a JVM that a process it did not start has ended, so
   * this checks again and again, at first often and then up to every 100 ms, on {@code timer}.
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

  /** Returns true if the process exists and is not a zombie. */
  public static boolean running(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    if (!HAVE_PROC) {
      return true;
    }
    try {
      String stat = Files.readString(PROC.resolve(Long.toString(h.pid())).resolve("stat"),
          StandardCharsets.ISO_8859_1);
      // "pid (command) S ...": the command may hold spaces and parentheses; the state follows the
      // last ')'.
      int close = stat.lastIndexOf(')');
      char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return h.isAlive();
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
}
