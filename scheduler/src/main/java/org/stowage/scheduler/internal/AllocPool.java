package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerEvent;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.TimeSource;

/**
 * The allocs: the requests in flight, the live allocs with the room left on each, their keepalives,
 * the freeing of those idle too long, and the backoff after the cluster refuses a request. Not API.
 *
 * <p>A request is credited with all it asked for until it is answered. An alloc that comes up is
 * kept alive by a keepalive that must answer within the keepalive timeout; one that fails, or an
 * exec that reports its alloc lost, makes the alloc dead, and its attempts are handed back to the
 * engine. An alloc idle for the max idle time is taken out of placement, then freed; so is an idle
 * alloc that no waiting task fits, when the cluster refuses a request for lack of capacity, since
 * it may hold the very capacity the waiting tasks need. A refusal that says "never" rules out
 * requests that large from then on; any other backs off, doubling up to the max backoff.
 *
 * <p>Every call into the cluster's allocs, which may block, runs on the I/O executor and posts its
 * outcome back; {@link Cluster#allocate} (which must not block) and {@link Cluster#canAllocate}
 * (which must answer from memory) are called on the engine thread. An alloc is freed holding its
 * lock, as its attempts' execs are started (see {@link Attempt#start}), so that no exec starts on
 * an alloc after it was given up.
 *
 * <p>Concurrency: owned by the engine's thread, except the set of frees in flight.
 */
final class AllocPool {

  private static final System.Logger LOG = System.getLogger(AllocPool.class.getName());

  /** What the pool needs from the waiting tasks. */
  interface Host {
    /** Returns whether a waiting task fits in {@code room}: then an idle alloc is still good. */
    boolean anyWaitingFits(double[] room);

    /**
     * Request {@code p} was answered: the tasks that counted on it wait again, and are returned.
     */
    List<TaskRecord> answered(PendingAlloc p);

    /** Something changed that the next pass should see: room, an alloc, a refusal. */
    void passDue();

    /** An attempt whose alloc died: it holds nothing more, and its task must be decided on. */
    void abandoned(Attempt attempt, String why);
  }

  /** The pool's settings; validated by the scheduler's builder. */
  record Settings(String name, Cluster cluster, Labels labels, int maxPendingAllocs,
      Duration maxAllocIdleTime, Duration keepaliveTimeout, Duration backoffInitial,
      Duration backoffMax) {}

  private final Settings settings;
  private final String name;
  private final Host host;
  private final EventLoop loop;
  private final Publisher publisher;
  private final TimeSource time;
  private final Executor io;
  private final Stats stats;
  private final Dimensions dims;
  private final Packer packer;
  private final Transfers transfers;

  private final List<LiveAlloc> live = new ArrayList<>();
  private final List<PendingAlloc> pending = new ArrayList<>();
  /** The allocs that came up since the last pass, with the tasks their requests were for. */
  private List<LiveAlloc> arrived = new ArrayList<>();
  /** Frees issued and not yet answered, of any alloc; closing waits for all of them. */
  private final Set<CompletableFuture<Void>> freeing = ConcurrentHashMap.newKeySet();
  /** Requirements the cluster said it can never meet. */
  private final List<double[]> refused = new ArrayList<>();
  private String refusedReason = "";
  private int failures;
  /**
   * How many requests may be in flight now: it starts small, grows by one with each alloc granted
   * (so it doubles each time a full window is granted, as TCP's slow start does), halves on a
   * refusal, and never passes the max pending allocs.
   */
  private int window;
  private long backoffUntil;
  private boolean backoffTimerSet;
  private long seq;
  private boolean closing;

  AllocPool(Settings settings, Host host, EventLoop loop, Publisher publisher, TimeSource time,
      Executor io, Stats stats, Dimensions dims, Packer packer, Transfers transfers) {
    this.settings = settings;
    this.name = settings.name();
    this.host = host;
    this.loop = loop;
    this.publisher = publisher;
    this.time = time;
    this.io = io;
    this.stats = stats;
    this.dims = dims;
    this.packer = packer;
    this.transfers = transfers;
    this.window = Math.min(INITIAL_WINDOW, settings.maxPendingAllocs());
  }

  /** The requests in flight at first, before the cluster has granted any. */
  static final int INITIAL_WINDOW = 5;

  /** Returns the live allocs, oldest first; the engine must not change the list. */
  List<LiveAlloc> live() {
    return live;
  }

  /** Returns the allocs that came up since the last call, and forgets them. */
  List<LiveAlloc> takeArrived() {
    List<LiveAlloc> out = arrived;
    arrived = new ArrayList<>();
    return out;
  }

  /** Returns how many requests are in flight. */
  int pendingCount() {
    return pending.size();
  }

  /** Returns the requests in flight, oldest first; the engine must not change the list. */
  List<PendingAlloc> pending() {
    return pending;
  }

  /** Returns how many more requests may be sent now. */
  int requestsAllowed() {
    return Math.max(0, window - pending.size());
  }

  /** Returns why the cluster last refused a request for good, for the tasks it leaves behind. */
  String refusedReason() {
    return refusedReason;
  }

  // ---------------------------------------------------------------- requests

  /** Returns whether the pool backs off now, after a refusal: no request may be sent. */
  boolean backingOff() {
    return time.nanoTime() < backoffUntil;
  }

  /** Sets the one timer that posts {@link Event.BackoffOver} when the backoff ends. */
  void awaitBackoff() {
    if (!backoffTimerSet) {
      backoffTimerSet = true;
      loop.at(backoffUntil, new Event.BackoffOver());
    }
  }

  /** The backoff timer came. */
  void backoffOver() {
    backoffTimerSet = false;
    host.passDue();
  }

  /** Returns whether the cluster could ever provide an alloc of {@code v}. */
  boolean admissible(double[] v) {
    for (double[] r : refused) {
      if (Packer.covers(v, r)) {
        return false;
      }
    }
    try {
      return settings.cluster().canAllocate(dims.resources(v)).possible();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "cluster.canAllocate failed; sizing requests conservatively", e);
      return false;
    }
  }

  /** Asks the cluster for an alloc meeting {@code req}, credited with {@code credit}. */
  PendingAlloc request(Requirements req, double[] credit) {
    PendingAlloc p = new PendingAlloc(++seq, req, credit);
    pending.add(p);
    stats.allocsRequested++;
    LOG.log(Level.DEBUG, () -> "scheduler " + name + ": requesting alloc " + req);
    loop.later(new Effect.SendRequest(p));
    return p;
  }

  /** Sends a request (an effect, at the end of the batch), unless it was given up on meanwhile. */
  void send(PendingAlloc p) {
    if (!pending.contains(p)) {
      return;  // given up on before it was sent (the scheduler is closing)
    }
    CompletableFuture<Alloc> f;
    try {
      f = Objects.requireNonNull(settings.cluster().allocate(p.req, settings.labels()),
          "allocate future");
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    p.future = f;
    f.whenComplete((alloc, error) -> loop.post(new Event.AllocAnswered(p, alloc, error)));
  }

  /** The cluster answered a request: with an alloc, or an error. */
  void answered(PendingAlloc p, @Nullable Alloc alloc, @Nullable Throwable error) {
    if (!pending.remove(p)) {
      if (alloc != null) {
        free(alloc, alloc);
      }
      return;
    }
    List<TaskRecord> members = host.answered(p);
    host.passDue();
    if (alloc == null) {
      if (!closing) {
        refusedBy(p, Failures.unwrap(error));
      }
      return;
    }
    if (closing) {
      free(alloc, alloc);
      return;
    }
    failures = 0;
    backoffUntil = 0;
    window = (int) Math.min(settings.maxPendingAllocs(), window + 1L);
    Resources capacity;
    String id;
    try {
      capacity = Objects.requireNonNull(alloc.resources(), "alloc resources");
      id = Objects.requireNonNull(alloc.id(), "alloc id");
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "scheduler " + name + ": alloc is unusable; freeing it", e);
      free(alloc, alloc);
      return;
    }
    LiveAlloc a = new LiveAlloc(alloc, id, dims.vector(capacity), time.nanoTime(), p.seq);
    packer.widenScale(a.capacity);
    live.add(a);
    a.live = true;
    a.promised = members;
    arrived.add(a);
    stats.allocsLive++;
    stats.allocChanged(a);
    publisher.emit(new SchedulerEvent.AllocUp(id, capacity));
    LOG.log(Level.DEBUG, () -> "scheduler " + name + ": alloc " + id + " " + capacity + " is up");
    keepalive(a);
    becameIdle(a);
  }

  private void refusedBy(PendingAlloc p, @Nullable Throwable cause) {
    stats.allocsFailed++;
    if (cause instanceof AllocationException ae && ae.kind() == AllocationException.Kind.NEVER) {
      refused.add(dims.vector(p.req.min()));
      publisher.emit(
          new SchedulerEvent.AllocRefused(p.req, String.valueOf(cause.getMessage()), true));
      refusedReason = cause.getMessage();
      LOG.log(Level.WARNING, "scheduler " + name + ": cluster can never allocate " + p.req + ": "
          + cause.getMessage());
      return;
    }
    failures = Math.min(failures + 1, 64);
    window = Math.max(1, window / 2);
    publisher.emit(new SchedulerEvent.AllocRefused(p.req, Failures.describe(cause), false));
    long backoff = Durations.doubled(Durations.nanos(settings.backoffInitial()), failures - 1,
        Durations.nanos(settings.backoffMax()));
    backoffUntil = time.nanoTime() + backoff;
    LOG.log(Level.WARNING, "scheduler " + name + ": allocation of " + p.req + " failed ("
        + cause + "); backing off " + Duration.ofNanos(backoff));
    // Free the idle allocs that no waiting task fits: on a finite cluster, an idle alloc of the
    // wrong shape would otherwise block the waiting tasks until its idle timeout.
    for (LiveAlloc a : new ArrayList<>(live)) {
      if (a.running.isEmpty() && !host.anyWaitingFits(a.capacity)) {
        retire(a, "idle, and no waiting task fits it while the cluster is out of capacity");
      }
    }
  }

  // ---------------------------------------------------------------- keepalive, idle, death

  /** Sends {@code a} a keepalive, which must answer within the keepalive timeout. */
  void keepalive(LiveAlloc a) {
    if (!a.live) {
      return;
    }
    long token = ++a.keepaliveSeq;
    a.keepaliveTimer.cancel();
    a.keepaliveTimer =
        loop.after(settings.keepaliveTimeout(), new Event.KeepaliveTimedOut(a, token));
    io.execute(() -> {
      CompletableFuture<Duration> f;
      try {
        f = Objects.requireNonNull(a.alloc.keepalive(), "keepalive future");
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((next, e) -> loop.post(new Event.KeepaliveAnswered(a, token, next, e)));
    });
  }

  /** A keepalive answered: the next is due after {@code next}, or the alloc is dead. */
  void keepaliveAnswered(LiveAlloc a, long token, @Nullable Duration next,
      @Nullable Throwable e) {
    if (token != a.keepaliveSeq || !a.live) {
      return;
    }
    a.keepaliveTimer.cancel();
    if (e != null || next == null) {
      dead(a, "keepalive failed: " + Failures.describe(Failures.unwrap(e)));
      return;
    }
    a.keepaliveTimer = loop.after(next, new Event.KeepaliveDue(a));
  }

  /** A keepalive did not answer in time: the alloc is dead. */
  void keepaliveTimedOut(LiveAlloc a, long token) {
    if (token == a.keepaliveSeq && a.live) {
      dead(a, "keepalive did not answer within " + settings.keepaliveTimeout());
    }
  }

  /** Gives an ended attempt's room back; an alloc left with no attempt starts its idle time. */
  void release(Attempt attempt) {
    LiveAlloc a = attempt.alloc;
    a.running.remove(attempt);
    stats.allocChanged(a);
    Packer.giveBack(a.free, attempt.task.need, a.capacity);
    if (a.running.isEmpty() && a.live) {
      becameIdle(a);
    }
  }

  private void becameIdle(LiveAlloc a) {
    long since = time.nanoTime();
    a.idleSince = since;
    loop.after(settings.maxAllocIdleTime(), new Event.IdleCheck(a, since));
  }

  /** The idle timer of {@code a}, idle since {@code since}, came: it goes if still idle. */
  void idleCheck(LiveAlloc a, long since) {
    if (a.idleSince != since || !a.running.isEmpty() || !a.live || closing) {
      return;
    }
    retire(a, "idle for " + settings.maxAllocIdleTime());
  }

  /** Takes an idle alloc out of placement, then frees it. */
  private void retire(LiveAlloc a, String why) {
    remove(a);
    stats.allocsFreedIdle++;
    stats.allocGone(a, SchedulerStats.AllocState.FREED, dims.resources(a.capacity));
    publisher.emit(new SchedulerEvent.AllocDown(a.id, why, false));
    LOG.log(Level.DEBUG, () -> "scheduler " + name + ": freeing alloc " + a.id + ": " + why);
    forget(a);
    free(a.alloc, a);
  }

  /** Declares {@code a} dead: its attempts are handed back, and it is freed. */
  void dead(LiveAlloc a, String why) {
    if (!a.live) {
      return;
    }
    remove(a);
    stats.allocsDead++;
    stats.allocGone(a, SchedulerStats.AllocState.DEAD, dims.resources(a.capacity));
    LOG.log(Level.WARNING, "scheduler " + name + ": alloc " + a.id + " is dead: " + why);
    publisher.emit(new SchedulerEvent.AllocDown(a.id, why, true));
    for (Attempt attempt : new ArrayList<>(a.running)) {
      a.running.remove(attempt);
      attempt.abandon();
      host.abandoned(attempt, "alloc " + a.id + " died: " + why);
    }
    forget(a);
    free(a.alloc, a);
    host.passDue();
  }

  private void remove(LiveAlloc a) {
    live.remove(a);
    a.live = false;
    a.gone = true;
    a.keepaliveTimer.cancel();
    stats.allocsLive--;
  }

  /** Drops what the transferer remembers of the alloc's repository. */
  void forget(LiveAlloc a) {
    try {
      transfers.forget(a.alloc.repository());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "scheduler " + name + ": alloc " + a.id
          + " has no repository to forget", e);
    }
  }

  // ---------------------------------------------------------------- closing

  /** Closing: requests in flight are cancelled, and allocs answered from now on are freed. */
  void close() {
    closing = true;
    for (PendingAlloc p : new ArrayList<>(pending)) {
      CompletableFuture<Alloc> f = p.future;
      if (f != null) {
        f.cancel(false);
      } else {
        pending.remove(p);  // never sent
      }
    }
  }

  /** Returns whether a request is in flight or an attempt holds an alloc. */
  boolean busy() {
    if (!pending.isEmpty()) {
      return true;
    }
    for (LiveAlloc a : live) {
      if (!a.running.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Frees every live alloc.
   *
   * @return a future that completes when they, and all freed before, are freed or failed to be
   */
  CompletableFuture<Void> freeAll() {
    List<CompletableFuture<Void>> frees = new ArrayList<>();
    for (LiveAlloc a : new ArrayList<>(live)) {
      remove(a);
      stats.allocGone(a, SchedulerStats.AllocState.FREED, dims.resources(a.capacity));
      publisher.emit(new SchedulerEvent.AllocDown(a.id, "scheduler closed", false));
      frees.add(free(a.alloc, a));
    }
    frees.addAll(freeing);  // also those of allocs that died or went idle earlier
    return CompletableFuture.allOf(frees.toArray(CompletableFuture[]::new));
  }

  // ---------------------------------------------------------------- freeing

  /**
   * Frees {@code alloc}, holding {@code lock}, at the end of the batch; the future completes when
   * it is freed or failed to be.
   */
  private CompletableFuture<Void> free(Alloc alloc, Object lock) {
    CompletableFuture<Void> freed = new CompletableFuture<>();
    freeing.add(freed);
    freed.whenComplete((v, e) -> freeing.remove(freed));
    loop.later(new Effect.Free(idOf(alloc), alloc, lock, freed));
    return freed;
  }

  /** Makes a free (an effect): calls {@link Alloc#free} on the I/O executor. */
  void free(Effect.Free e) {
    CompletableFuture.supplyAsync(() -> {
      try {
        synchronized (e.lock()) {
          return Objects.requireNonNull(e.alloc().free(), "free future");
        }
      } catch (RuntimeException x) {
        return CompletableFuture.<Void>failedFuture(x);
      }
    }, io).thenCompose(f -> f).whenComplete((v, x) -> {
      if (x != null) {
        LOG.log(Level.WARNING, "scheduler " + name + ": freeing alloc " + e.id() + " failed",
            Failures.unwrap(x));
      }
      e.freed().complete(null);
    });
  }

  /** Returns the alloc's id for messages, or "?" if even that fails. */
  private static String idOf(Alloc alloc) {
    try {
      return String.valueOf(alloc.id());
    } catch (RuntimeException e) {
      return "?";
    }
  }
}
