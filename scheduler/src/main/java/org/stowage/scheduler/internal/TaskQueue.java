package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.State;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.TimeSource;
import org.stowage.scheduler.WaitReason;

/**
 * The tasks that wait for an alloc, and what becomes of a task between attempts. Submitted tasks
 * are admitted (the cluster must be able to hold them one day) and gathered in the drain
 * ({@link Batcher}); when it lets them go they join the queue that the pass places from, kept
 * from pass to pass: two {@link WaitingIndex}es, the tasks no request in flight counts on
 * ({@link #unplanned}) and those one does ({@link #planned}, each task's {@code nominee}), and the
 * order they joined in, for starvation. A request that is answered, with an alloc or a refusal,
 * hands its members back to the unplanned, where the next pass finds them. A task whose attempt ended is done, or, by the
 * {@link RetryPolicy}, queued again as a new attempt, or given up on. Not API.
 *
 * <p>It also knows when a pass is due: after anything that may let a waiting task be placed or a
 * request be sent.
 *
 * <p>Concurrency: owned by the engine's thread.
 */
final class TaskQueue implements AllocPool.Host {

  private static final System.Logger LOG = System.getLogger(TaskQueue.class.getName());

  private final String name;
  private final Cluster cluster;
  private final TimeSource time;
  private final EventLoop loop;
  private final Publisher publisher;
  private final Stats stats;
  private final Dimensions dims;
  private final Packer packer;
  private final RetryPolicy policy;
  private final Batcher<TaskRecord> drain;
  /** The queued tasks that no request counts on; a pass takes some out for a while. */
  private final WaitingIndex unplanned;
  /** The queued tasks that a request in flight counts on. */
  private final WaitingIndex planned;
  /** The tasks that joined the unplanned since the last pass, which says why they wait. */
  private List<TaskRecord> fresh = new ArrayList<>();
  /** Every queued task in the order it joined, and entries of tasks gone since (skipped). */
  private final ArrayDeque<Arrival> arrivals = new ArrayDeque<>();
  private int queued;
  private long tickets;
  private boolean passDue;
  private boolean closing;

  TaskQueue(Engine.Config config, EventLoop loop, Publisher publisher, Stats stats,
      Dimensions dims, Packer packer) {
    this.name = config.name();
    this.cluster = config.cluster();
    this.time = config.time();
    this.loop = loop;
    this.publisher = publisher;
    this.stats = stats;
    this.dims = dims;
    this.packer = packer;
    this.unplanned = new WaitingIndex(packer);
    this.planned = new WaitingIndex(packer);
    this.policy = new RetryPolicy(config.maxLostAttempts(), config.maxFailedAttempts());
    this.drain = new Batcher<>(config.drainTimeout(), config.maxDrainWait());
  }

  /** A task as it joined the queue; stale once the task left it or joined it again. */
  private record Arrival(TaskRecord task, long ticket, long since) {
    boolean current() {
      return task.queueTicket == ticket;
    }
  }

  /** Returns how many tasks wait, in the drain or the queue. */
  int size() {
    return queued + drain.size();
  }

  /** Returns the queued tasks no request counts on, for the pass, which may take some out. */
  WaitingIndex unplanned() {
    return unplanned;
  }

  /** Returns the queued tasks that a request in flight counts on, for placement. */
  WaitingIndex planned() {
    return planned;
  }

  /** Returns the tasks that joined the unplanned since the last call, and forgets them. */
  List<TaskRecord> takeFresh() {
    List<TaskRecord> out = fresh;
    fresh = new ArrayList<>();
    return out;
  }

  /** {@code t}, taken out of the unplanned by the pass, waits for request {@code p}. */
  void nominate(TaskRecord t, PendingAlloc p) {
    t.nominee = p;
    p.members.add(t);
    Packer.subtract(p.remaining, t.need);
    planned.add(t);
  }

  /**
   * Request {@code p} was answered: the tasks that counted on it wait for whatever comes next, and
   * are returned, for the alloc that answered it to take first.
   */
  @Override
  public List<TaskRecord> answered(PendingAlloc p) {
    List<TaskRecord> members = new ArrayList<>(p.members.size());
    for (TaskRecord t : p.members) {
      if (t.nominee == p) {
        t.nominee = null;
        if (planned.remove(t)) {
          unplanned.add(t);
          fresh.add(t);
          members.add(t);
        }
      }
    }
    p.members.clear();
    return members;
  }

  /**
   * Returns the queued tasks that joined at or before {@code before}, longest waiting first, at
   * most {@code most} of them.
   */
  List<TaskRecord> starved(long before, int most) {
    List<TaskRecord> out = new ArrayList<>();
    if (before == Long.MIN_VALUE) {
      return out;
    }
    while (!arrivals.isEmpty() && !arrivals.peekFirst().current()) {
      arrivals.pollFirst();
    }
    for (Arrival a : arrivals) {
      if (a.since() > before || out.size() >= most) {
        break;
      }
      if (a.current()) {
        out.add(a.task());
      }
    }
    return out;
  }

  /** Returns whether some queued task fits in {@code room}. */
  @Override
  public boolean anyWaitingFits(double[] room) {
    return unplanned.anyFits(room) || planned.anyFits(room);
  }

  /** {@code t}, placed by the pass, leaves the queue. */
  void placed(TaskRecord t) {
    dequeue(t);
  }

  /** A pass threw: puts back every queued task it took out, so none is placed twice or lost. */
  void mend() {
    for (Arrival a : arrivals) {
      TaskRecord t = a.task();
      if (!a.current() || t.waitingIn != null) {
        continue;
      }
      if (t.attempt != null || t.current.state() == State.DONE) {
        dequeue(t);
      } else {
        release(t);
        unplanned.add(t);
      }
    }
  }

  /** {@code t} no longer counts on its request: the request has that room again. */
  private static void release(TaskRecord t) {
    PendingAlloc p = t.nominee;
    if (p != null) {
      t.nominee = null;
      Packer.giveBack(p.remaining, t.need, p.credit);
    }
  }

  private void enqueue(TaskRecord t, long now) {
    t.queueTicket = ++tickets;
    t.queuedSince = now;
    arrivals.add(new Arrival(t, t.queueTicket, now));
    unplanned.add(t);
    fresh.add(t);
    queued++;
  }

  /** Takes {@code t} out of the queue, if it is in it; returns whether it was. */
  private boolean dequeue(TaskRecord t) {
    if (t.queueTicket == 0) {
      return false;
    }
    t.queueTicket = 0;
    if (!unplanned.remove(t)) {
      planned.remove(t);
    }
    release(t);
    queued--;
    if (arrivals.size() > 2 * queued + 64) {
      arrivals.removeIf(a -> !a.current());
    }
    return true;
  }

  /** Notes that a pass is due. */
  @Override
  public void passDue() {
    passDue = true;
  }

  /** Returns whether a pass is due, and clears it. */
  boolean takePassDue() {
    boolean due = passDue && !closing;
    passDue = false;
    return due;
  }

  // ---------------------------------------------------------------- submission and drain

  /** Admits submitted tasks and gathers them in the drain; refused ones end at once. */
  void submitted(List<TaskRecord> records) {
    long now = time.nanoTime();
    List<TaskRecord> accepted = new ArrayList<>(records.size());
    for (TaskRecord t : records) {
      stats.submitted(t);
      TaskException refusal = admit(t);
      if (refusal != null) {
        publisher.finish(t, refusal);
        continue;
      }
      packer.widenScale(t.need);
      t.queuedSince = now;
      accepted.add(t);
    }
    if (accepted.isEmpty()) {
      return;
    }
    long deadline = drain.add(accepted, now);
    if (deadline != Batcher.NO_TIMER) {
      loop.at(deadline, new Event.DrainDue());
    }
    // Timers first, statuses last: whoever sees a status can rely on the timer being set.
    for (TaskRecord t : accepted) {
      publisher.publish(t, State.INIT, null, WaitReason.DRAINING, null, null);
    }
    if (drain.due(now)) {
      flush();
    }
  }

  /** Returns why {@code t} cannot be queued, or null; sets its resource vector if it can. */
  private @Nullable TaskException admit(TaskRecord t) {
    if (closing) {
      return new TaskException(Kind.CLOSED,
          t.task + " was submitted while scheduler " + name + " was closing");
    }
    if (t.cancelRequested) {
      return cancelled(t);
    }
    Resources need = t.task.resources();
    Admission admission;
    try {
      admission = Objects.requireNonNull(cluster.canAllocate(need), "admission");
    } catch (RuntimeException e) {
      return new TaskException(Kind.UNSATISFIABLE,
          t.task + ": cluster.canAllocate(" + need + ") failed: " + e, null, e);
    }
    if (!admission.possible()) {
      return new TaskException(Kind.UNSATISFIABLE, t.task + " needs " + need
          + ", which the cluster can never allocate: " + admission.reason());
    }
    t.need = dims.vector(need);
    return null;
  }

  /** The drain's timer came: the burst goes if its deadline has come, or the timer is set again. */
  void drainDue() {
    long now = time.nanoTime();
    long next = drain.woke(now);
    if (next != Batcher.NO_TIMER) {
      loop.at(next, new Event.DrainDue());
    } else if (drain.due(now)) {
      flush();
    }
  }

  private void flush() {
    long now = time.nanoTime();
    for (TaskRecord t : drain.flush()) {
      enqueue(t, now);
    }
    passDue = true;
  }

  // ---------------------------------------------------------------- between attempts

  /** Cancels {@code t}: at once if it waits, by stopping its attempt if it has one, else later. */
  void cancel(TaskRecord t) {
    if (t.current.state() == State.DONE) {
      return;
    }
    if (drain.remove(t) || dequeue(t)) {
      publisher.finish(t, cancelled(t));
      return;
    }
    Attempt attempt = t.attempt;
    if (attempt != null) {
      if (attempt.stopping() == null) {
        attempt.stop(cancelled(t));
      }
      return;
    }
    t.cancelRequested = true;
  }

  /** Takes {@code t} out of the queue and ends it with {@code error}. */
  void giveUp(TaskRecord t, TaskException error) {
    dequeue(t);
    publisher.finish(t, error);
  }

  /** An attempt whose alloc died: its task ends if it was being stopped, else it was lost. */
  @Override
  public void abandoned(Attempt attempt, String why) {
    TaskException stop = attempt.stopping();
    decide(attempt.task, stop != null ? new RetryPolicy.Outcome.Ended(stop)
        : new RetryPolicy.Outcome.Lost(why));
  }

  /** Decides on {@code t} after its attempt ended: done, queued again, or given up. */
  void decide(TaskRecord t, RetryPolicy.Outcome outcome) {
    passDue = true;
    if (outcome instanceof RetryPolicy.Outcome.Succeeded s) {
      publisher.publish(t, State.DONE, null, null, s.result(), null);
    } else if (outcome instanceof RetryPolicy.Outcome.Ended e) {
      publisher.finish(t, e.error());
    } else if (outcome instanceof RetryPolicy.Outcome.Lost l) {
      t.lostCount++;
      stats.attemptsLost++;
      publisher.publish(t, State.LOST, t.current.allocId(), null, null, null);
      again(t, policy.afterLost(t.task, t.lostCount, l.why()), "lost (" + l.why() + ")");
    } else if (outcome instanceof RetryPolicy.Outcome.Failed f) {
      t.failedCount++;
      stats.attemptsFailed++;
      again(t, policy.afterFailed(t.task, t.current.attempt(), t.failedCount, f),
          "failed (" + f.why() + ")");
    }
  }

  private void again(TaskRecord t, @Nullable TaskException giveUp, String what) {
    if (giveUp != null) {
      publisher.finish(t, giveUp);
      return;
    }
    LOG.log(Level.INFO, () -> "scheduler " + name + ": " + t.task + " " + what
        + "; queued again");
    TaskStatus s = t.current;
    int attempt = s.attempt() + 1;
    long now = time.nanoTime();
    publisher.publish(t, new TaskStatus(State.INIT, attempt, t.task.key() + "." + attempt, null,
        WaitReason.QUEUED, null, null, now));
    enqueue(t, now);  // starvation counts the wait of this attempt, not the time it ran
  }

  /** Closing: every waiting task ends, and tasks submitted from now on are refused. */
  void close() {
    closing = true;
    List<TaskRecord> all = drain.flush();
    for (Arrival a : new ArrayList<>(arrivals)) {
      if (a.current()) {
        all.add(a.task());
        dequeue(a.task());
      }
    }
    arrivals.clear();
    for (TaskRecord t : all) {
      publisher.finish(t, new TaskException(Kind.CLOSED, t.task + " did not run: scheduler "
          + name + " closed"));
    }
  }

  private static TaskException cancelled(TaskRecord t) {
    return new TaskException(Kind.CANCELLED, t.task + " was cancelled");
  }
}
