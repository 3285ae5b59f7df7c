package org.stowage.scheduler.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.SchedulerStats.AllocState;
import org.stowage.scheduler.SchedulerStats.AllocStats;
import org.stowage.scheduler.SchedulerStats.Counts;
import org.stowage.scheduler.SchedulerStats.TaskStats;
import org.stowage.scheduler.State;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.TimeSource;

/**
 * The engine's bookkeeping for {@link SchedulerStats}. Not API.
 *
 * <p>Concurrency: the counters are plain fields written by the engine thread only. During a batch
 * of events the engine only counts; at the end of the batch it calls {@link #publish}, which, under
 * this object's lock, replaces the counts and live allocs of that instant, records each changed
 * task's status, moves finished tasks and gone allocs into bounded Caffeine caches (evicted by
 * count and by age on the scheduler's time source). {@link #snapshot} reads under the same lock, so
 * a snapshot is one instant: each task and alloc appears once, in the state the counts say.
 * {@link #counts} reads one volatile field and never waits.
 */
final class Stats {

  long submitted;
  private final long[] inState = new long[State.values().length];
  long succeeded;
  long failed;
  long cancelled;
  long attemptsLost;
  long attemptsFailed;
  long allocsRequested;
  long allocsFailed;
  long allocsLive;
  long allocsDead;
  long allocsFreedIdle;
  /** The allocs changed in this batch, whose views the next publish rebuilds; engine thread. */
  private final List<LiveAlloc> allocsChanged = new ArrayList<>();
  /** The live allocs' views as of the latest publish, oldest first; guarded by this. */
  private final Map<LiveAlloc, LiveView> liveViews = new LinkedHashMap<>();

  private final String name;
  private final TimeSource time;
  /** Tasks not yet done, by key, with their status as of the latest publish; guarded by this. */
  private final Map<String, Active> active = new HashMap<>();
  /** This batch's finished tasks and gone allocs, moved to the caches at its end; engine thread. */
  private final List<Finished> finishing = new ArrayList<>();
  private final List<Gone> going = new ArrayList<>();
  private final Cache<String, Finished> finished;
  private final Cache<String, Gone> gone;
  private volatile Published published;

  Stats(String name, TimeSource time, int retainCount, Duration retainAge) {
    this.name = name;
    this.time = time;
    this.finished = Caffeine.newBuilder().maximumSize(retainCount).expireAfterWrite(retainAge)
        .ticker(time::nanoTime).executor(Runnable::run).build();
    this.gone = Caffeine.newBuilder().maximumSize(retainCount).expireAfterWrite(retainAge)
        .ticker(time::nanoTime).executor(Runnable::run).build();
    this.published = new Published(counts(0, 0));
  }

  /** Counts a newly submitted task, in INIT; it is listed from its first published change. */
  void submitted(TaskRecord t) {
    submitted++;
    inState[State.INIT.ordinal()]++;
  }

  /** Moves a task's count from its old state to its new one; retires it once DONE. */
  void changed(TaskRecord t, TaskStatus old, TaskStatus next) {
    if (old.state() != next.state()) {
      inState[old.state().ordinal()]--;
      inState[next.state().ordinal()]++;
    }
    if (next.state() == State.DONE) {
      TaskException e = next.error();
      finishing.add(new Finished(t.task.key(), t.task.name(), t.task.resources(),
          next.id(), next.attempt(), e == null ? null : e.kind(),
          e == null ? null : e.getMessage(), next.sinceNanos()));
      if (e == null) {
        succeeded++;
      } else if (e.kind() == TaskException.Kind.CANCELLED) {
        cancelled++;
      } else {
        failed++;
      }
    }
  }

  /** Notes that an alloc came up, or its tasks or free room changed: the next publish shows it. */
  void allocChanged(LiveAlloc a) {
    if (!a.statsDirty) {
      a.statsDirty = true;
      allocsChanged.add(a);
    }
  }

  /** Retires a gone alloc, keeping its last view within the retention. */
  void allocGone(LiveAlloc a, AllocState state, Resources capacity) {
    going.add(new Gone(a.id, state, capacity, a.upSince, time.nanoTime()));
    allocChanged(a);
  }

  /**
   * Publishes the counts, the live allocs and the task statuses of this instant; engine thread
   * only.
   *
   * @param changes this batch's status changes, in order
   */
  synchronized void publish(int waiting, int pendingAllocs, Dimensions dims,
      List<Publisher.Change> changes) {
    for (Publisher.Change c : changes) {
      if (c.status().state() != State.DONE) {
        active.put(c.task().task.key(), new Active(c.task(), c.status()));
      } else {
        active.remove(c.task().task.key());
      }
    }
    for (Finished f : finishing) {
      finished.put(f.key, f);
    }
    finishing.clear();
    for (Gone g : going) {
      gone.put(g.id, g);
    }
    going.clear();
    // Only the allocs changed in this batch are seen again: the cost follows what changed.
    for (LiveAlloc a : allocsChanged) {
      a.statsDirty = false;
      if (!a.live) {
        liveViews.remove(a);
        continue;
      }
      List<String> ids = new ArrayList<>(a.running.size());
      for (Attempt asg : a.running) {
        ids.add(asg.task.current.id());
      }
      liveViews.put(a, new LiveView(a.id, dims.resources(a.capacity), dims.resources(a.free), ids,
          a.upSince, a.idleSince));
    }
    allocsChanged.clear();
    Counts c = counts(waiting, pendingAllocs);
    if (!c.equals(published.counts)) {
      published = new Published(c);
    }
  }

  /** Returns the counts as of the latest publish; any thread. */
  Counts counts() {
    return published.counts;
  }

  /** Builds a full snapshot of the latest publish; any thread. */
  synchronized SchedulerStats snapshot() {
    Published p = published;
    long now = time.nanoTime();
    List<AllocStats> allocs = new ArrayList<>();
    Set<String> liveIds = new HashSet<>();
    for (LiveView a : liveViews.values()) {
      liveIds.add(a.id);
      allocs.add(new AllocStats(a.id, AllocState.LIVE, a.capacity, a.free, a.tasks,
          seconds(now - a.upSince), a.idleSince < 0 ? 0 : seconds(now - a.idleSince)));
    }
    for (Gone g : gone.asMap().values()) {
      if (liveIds.contains(g.id)) {
        continue;  // an id the cluster handed out again: the live one is the alloc of this instant
      }
      allocs.add(new AllocStats(g.id, g.state, g.capacity, g.capacity, List.of(),
          seconds(g.goneAt - g.upSince), seconds(now - g.goneAt)));
    }
    List<TaskStats> tasks = new ArrayList<>();
    for (Active a : active.values()) {
      TaskRecord t = a.task;
      TaskStatus s = a.status;
      tasks.add(new TaskStats(t.task.key(), t.task.name(), s.id(), s.attempt(), s.state(),
          t.task.resources(), s.allocId(), s.waiting(), null, null,
          s.sinceNanos() == 0 ? 0 : seconds(now - s.sinceNanos())));
    }
    for (Finished f : finished.asMap().values()) {
      tasks.add(new TaskStats(f.key, f.name, f.id, f.attempt, State.DONE, f.resources, null,
          null, f.errorKind, f.error, seconds(now - f.doneAt)));
    }
    return new SchedulerStats(name, p.counts, allocs, tasks);
  }

  /** Returns how many finished tasks and gone allocs are retained (after pending evictions). */
  long retained() {
    finished.cleanUp();
    gone.cleanUp();
    return finished.estimatedSize() + gone.estimatedSize();
  }

  private Counts counts(int waiting, int pendingAllocs) {
    return new Counts(submitted, inState[0], inState[1], inState[2], inState[3], inState[4],
        succeeded, failed, cancelled, waiting, attemptsLost, attemptsFailed, allocsRequested,
        allocsFailed, pendingAllocs, allocsLive, allocsDead, allocsFreedIdle);
  }

  private static double seconds(long nanos) {
    return Math.max(0, nanos) / 1e9;
  }

  private record Published(Counts counts) {}

  private record Active(TaskRecord task, TaskStatus status) {}

  private record LiveView(String id, Resources capacity, Resources free, List<String> tasks,
      long upSince, long idleSince) {}

  private record Gone(String id, AllocState state, Resources capacity, long upSince, long goneAt) {}

  private record Finished(String key, String name, Resources resources, String id, int attempt,
      TaskException.@Nullable Kind errorKind, @Nullable String error, long doneAt) {}
}
