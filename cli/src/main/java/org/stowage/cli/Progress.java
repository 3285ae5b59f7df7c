package org.stowage.cli;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskStatus;

/**
 * The live progress line of a run: tasks per state, allocs live and the time elapsed, for example
 * {@code [0:07] 12 waiting, 2 staging, 3 running, 20 done, 1 failed | 1 alloc live}.
 *
 * <p>On a terminal the line is redrawn in place four times a second. Elsewhere (a log file, a
 * pipe) a new line is printed when the counts change, at most once a second, so that logs stay
 * short.
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} are called by one thread; the line is drawn
 * by a daemon thread of its own in between.
 */
final class Progress {

  private static final long TERMINAL_PERIOD_MS = 250;
  private static final long PLAIN_PERIOD_MS = 1000;

  private final List<Task> tasks;
  private final LongSupplier allocsLive;
  private final PrintStream err;
  private final boolean terminal;
  private final long startNanos;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "stowage-progress");
    t.setDaemon(true);
    return t;
  });
  private String lastCounts = "";

  Progress(List<Task> tasks, LongSupplier allocsLive, PrintStream err, boolean terminal,
      long startNanos) {
    this.tasks = List.copyOf(tasks);
    this.allocsLive = allocsLive;
    this.err = err;
    this.terminal = terminal;
    this.startNanos = startNanos;
  }

  /** Starts drawing. */
  void start() {
    long period = terminal ? TERMINAL_PERIOD_MS : PLAIN_PERIOD_MS;
    ticker.scheduleAtFixedRate(() -> draw(false), 0, period, TimeUnit.MILLISECONDS);
  }

  /** Stops drawing and leaves the final line on its own line. */
  void stop() {
    ticker.shutdown();
    try {
      ticker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    draw(true);
    if (terminal) {
      err.println();
    }
    err.flush();
  }

  private synchronized void draw(boolean last) {
    String counts = counts();
    if (!terminal && counts.equals(lastCounts) && !last) {
      return;
    }
    lastCounts = counts;
    String line = "[" + elapsed() + "] " + counts;
    if (terminal) {
      err.print("\r" + line + "\u001b[K");
    } else {
      err.println(line);
    }
    err.flush();
  }

  private String counts() {
    Map<State, Integer> byState = new EnumMap<>(State.class);
    int failed = 0;
    for (Task t : tasks) {
      TaskStatus s = t.status();
      if (s.state() == State.DONE && !s.succeeded()) {
        failed++;
      } else {
        byState.merge(s.state(), 1, Integer::sum);
      }
    }
    long live = allocsLive.getAsLong();
    return byState.getOrDefault(State.INIT, 0) + " waiting, "
        + byState.getOrDefault(State.STAGING, 0) + " staging, "
        + byState.getOrDefault(State.RUNNING, 0) + " running, "
        + (byState.containsKey(State.LOST) ? byState.get(State.LOST) + " lost, " : "")
        + byState.getOrDefault(State.DONE, 0) + " done, "
        + failed + " failed | " + live + " alloc" + (live == 1 ? "" : "s") + " live";
  }

  private String elapsed() {
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
