package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.State;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.TimeSource;
import org.stowage.scheduler.WaitReason;

/**
 * Runs the pass after a batch of events: applies what {@link Placement} and
 * {@link RequestPlanner} decide, that is statuses, attempts begun, requests sent, tasks given up.
 * It also connects each attempt it begins to the rooms it reports to (its {@link Attempt.Host}).
 * Not API.
 *
 * <p>A task that throws as it is placed ends alone, DONE with the error: one bad task must not
 * abort a pass after others were placed, which would then be placed again.
 *
 * <p>Concurrency: owned by the engine's thread.
 */
final class Pass implements Attempt.Host {

  private static final System.Logger LOG = System.getLogger(Pass.class.getName());

  private final String name;
  private final TimeSource time;
  private final Duration starvationThreshold;
  private final Duration killTimeout;
  private final @Nullable Repository repository;
  private final EventLoop loop;
  private final Publisher publisher;
  private final Stats stats;
  private final Dimensions dims;
  private final Placement placement;
  private final RequestPlanner planner;
  private final TaskQueue tasks;
  private final AllocPool pool;
  /** Why the unplanned tasks waited after the last pass. */
  private @Nullable WaitReason lastRestWait;

  Pass(Engine.Config config, EventLoop loop, Publisher publisher, Stats stats, Dimensions dims,
      Placement placement, RequestPlanner planner, TaskQueue tasks, AllocPool pool) {
    this.name = config.name();
    this.time = config.time();
    this.starvationThreshold = config.starvationThreshold();
    this.killTimeout = config.killTimeout();
    this.repository = config.repository();
    this.loop = loop;
    this.publisher = publisher;
    this.stats = stats;
    this.dims = dims;
    this.placement = placement;
    this.planner = planner;
    this.tasks = tasks;
    this.pool = pool;
  }

  /** Places what it can, then asks for allocs for the rest. */
  void run() {
    WaitingIndex unplanned = tasks.unplanned();
    WaitingIndex planned = tasks.planned();
    List<LiveAlloc> arrived = pool.takeArrived();
    if (unplanned.isEmpty() && planned.isEmpty()) {
      arrived.forEach(a -> a.promised = List.of());
      tasks.takeFresh();  // none of them waits any more: forget them
      return;
    }
    long starvedBefore = Durations.isForever(starvationThreshold) ? Long.MIN_VALUE
        : time.nanoTime() - Durations.nanos(starvationThreshold);
    List<TaskRecord> starved = tasks.starved(starvedBefore, Placement.MAX_STARVED);
    Placement.Plan<LiveAlloc> plan = placement.plan(unplanned, planned, starved, pool.live());
    arrived.forEach(a -> a.promised = List.of());  // taken, or no longer theirs to take
    for (Placement.Placed<LiveAlloc> p : plan.placed()) {
      tasks.placed(p.task());
      place(p.task(), p.alloc());
    }
    for (TaskRecord t : plan.reserved().keySet()) {
      publisher.setWaiting(t, WaitReason.RESERVED);
    }
    List<TaskRecord> fresh = tasks.takeFresh();
    if (unplanned.isEmpty()) {
      return;
    }
    List<PendingAlloc> pending = pool.pending();
    List<double[]> credits = new ArrayList<>(pending.size());
    for (PendingAlloc p : pending) {
      credits.add(p.remaining);
    }
    RequestPlanner.Plan requests = planner.plan(unplanned, credits, pool.requestsAllowed(),
        pool.backingOff(), pool::admissible);
    for (int i = 0; i < requests.credited().size(); i++) {
      PendingAlloc p = pending.get(i);
      for (TaskRecord t : requests.credited().get(i)) {
        tasks.nominate(t, p);
        markWaiting(t, WaitReason.ALLOC_PENDING);
      }
    }
    for (Packer.Bin bin : requests.requests()) {
      PendingAlloc p =
          pool.request(new Requirements(dims.resources(bin.unit()), bin.width()), bin.credit());
      for (TaskRecord t : bin.members()) {
        tasks.nominate(t, p);
        markWaiting(t, WaitReason.ALLOC_PENDING);
      }
    }
    for (TaskRecord t : requests.unsatisfiable()) {
      tasks.giveUp(t, new TaskException(Kind.UNSATISFIABLE, t.task + " needs "
          + t.task.resources() + ", which the cluster refused to allocate: "
          + pool.refusedReason()));
    }
    // What is left unplanned waits for the pending limit or the backoff: said of those that just
    // joined, or of all when the reason changed.
    WaitReason restWait = requests.restWait();
    if (restWait != lastRestWait) {
      lastRestWait = restWait;
      unplanned.forEach(t -> markWaiting(t, restWait));
    } else {
      for (TaskRecord t : fresh) {
        if (t.waitingIn != null && t.nominee == null) {
          markWaiting(t, restWait);
        }
      }
    }
    if (restWait == WaitReason.BACKING_OFF && !unplanned.isEmpty()) {
      pool.awaitBackoff();
    }
  }

  /** Says why {@code t} waits, unless it holds a reservation, which it keeps saying. */
  private void markWaiting(TaskRecord t, WaitReason reason) {
    if (t.current.waiting() != WaitReason.RESERVED) {
      publisher.setWaiting(t, reason);
    }
  }

  /** Places {@code t} on {@code a}, or, if that throws, ends {@code t} alone DONE with the error. */
  private void place(TaskRecord t, LiveAlloc a) {
    try {
      Repository own = t.task.repository();
      Attempt.begin(t, a, own != null ? own : repository, loop, this);
      stats.allocChanged(a);
      publisher.publish(t, State.STAGING, a.id, null, null, null);
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "scheduler " + name + ": placing " + t.task + " failed", e);
      Attempt begun = t.attempt;
      if (begun != null) {
        begun.release();
      }
      tasks.giveUp(t, new TaskException(Kind.FAILED, t.task + " could not be placed on alloc "
          + a.id + ": " + Failures.describe(e), null, e));
    }
  }

  // ---------------------------------------------------------------- what attempts report

  @Override
  public void running(Attempt attempt) {
    publisher.publish(attempt.task, State.RUNNING, attempt.alloc.id, null, null, null);
  }

  @Override
  public void release(Attempt attempt) {
    pool.release(attempt);
  }

  @Override
  public void settle(Attempt attempt, RetryPolicy.Outcome outcome) {
    tasks.decide(attempt.task, outcome);
  }

  @Override
  public void forget(LiveAlloc alloc) {
    pool.forget(alloc);
  }

  @Override
  public void allocLost(LiveAlloc alloc, String why) {
    pool.dead(alloc, why);
  }

  @Override
  public Duration killTimeout() {
    return killTimeout;
  }
}
