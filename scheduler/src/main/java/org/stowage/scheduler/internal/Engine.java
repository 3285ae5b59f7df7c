package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerEvent;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.State;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.TaskStatus;
import org.stowage.scheduler.TimeSource;
import org.stowage.scheduler.WaitReason;

/**
 * The scheduling engine: an event loop that owns the queue of runnable tasks, the live allocs and
 * the pending alloc requests, places tasks, asks the cluster for more, keeps allocs alive, frees
 * idle ones and drives each task's lifecycle. Not API; {@code Scheduler} is its face.
 *
 * <p>Concurrency: every field below the constructor is owned by the engine thread, and so is each
 * task's {@code current} status. Other threads only post {@link Event}s to its {@link EventLoop},
 * which handles them on that thread, in order. Calls into the
 * cluster's allocs, which may block, run on the I/O executor and post their outcome back; only
 * {@link Cluster#allocate} (which must not block) and {@link Cluster#canAllocate} (which must
 * answer from memory) are called on the engine thread. Task statuses are published from the engine
 * thread at the end of each batch of events, after the stats of that batch; their waiters and
 * listeners then run on the callback executor.
 *
 * <p>One pass runs after each batch of events if anything changed: waiting tasks are ordered
 * (tasks starved past the threshold first, then priority, then size, largest first), each is
 * placed on the live alloc it fits best ({@link Packer}), and what remains is first credited to
 * the pending requests and then packed into new requests.
 */
public final class Engine {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());

  /** The engine's settings; validated by the scheduler's builder. */
  public record Config(
      String name,
      Cluster cluster,
      Labels labels,
      Duration drainTimeout,
      Duration maxDrainWait,
      Resources minAlloc,
      int maxPendingAllocs,
      Duration maxAllocIdleTime,
      int maxLostAttempts,
      int maxFailedAttempts,
      Duration starvationThreshold,
      Duration keepaliveTimeout,
      Duration killTimeout,
      Duration backoffInitial,
      Duration backoffMax,
      TimeSource time,
      @Nullable Executor io,
      @Nullable Repository repository,
      @Nullable Transferer transferer,
      int retainCount,
      Duration retainAge) {}

  private final Config config;
  private final TimeSource time;
  private final Executor io;
  private final @Nullable ExecutorService ownedIo;
  private final ExecutorService callbackThread;
  /** The callback thread, tracked by the loop: deliveries in flight keep the engine busy. */
  private final Executor callbacks;
  private final Transfers transfers;
  private final RetryPolicy policy;
  private final List<Consumer<SchedulerEvent>> listeners = new CopyOnWriteArrayList<>();
  /** Deliveries of this batch's changes, handed to the callback thread once stats are published. */
  private final List<Runnable> deferred = new ArrayList<>();
  private final Executor defer = deferred::add;
  /** Calls out (to the cluster, allocs, transfers) that this batch decided on; see endBatch. */
  private final List<Effect> effects = new ArrayList<>();
  /** This batch's status changes, made visible at the end of the batch. */
  private final List<Change> changes = new ArrayList<>();
  private final EventLoop loop;
  /** The engine's registration with its time source, ended once the engine has stopped. */
  private final TimeSource.Cancellable activity;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  /** Submits share it; close takes it alone, so that no submit is half done when close starts. */
  private final ReadWriteLock submitOrClose = new ReentrantReadWriteLock();
  private volatile boolean closeRequested;

  private final Dimensions dims = new Dimensions();
  private final Packer packer = new Packer();
  private final Placement placement = new Placement(packer);
  private final RequestPlanner planner;
  private final double[] minAlloc;
  private final Batcher<TaskRecord> drain;
  private List<TaskRecord> queue = new ArrayList<>();
  private boolean queueSorted = true;
  private final AllocPool pool;
  private boolean dirty;
  private boolean closing;
  private boolean finishing;
  private final Stats stats;

  /**
   * Creates and starts an engine.
   *
   * @param config the engine's settings and collaborators
   */
  public Engine(Config config) {
    this.config = config;
    this.time = config.time();
    this.loop = new EventLoop(config.name(), new EventLoop.Handler() {
      @Override
      public void handle(Event event) {
        dispatch(event);
      }

      @Override
      public void endBatch() {
        if (dirty && !closing) {
          dirty = false;
          try {
            pass();
          } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "scheduler " + config.name() + ": the pass failed; continuing", e);
          }
        }
        maybeFinishClose();
        Engine.this.endBatch();
      }

      @Override
      public void interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        terminated.completeExceptionally(e);
      }
    });
    Executor givenIo = config.io();
    if (givenIo != null) {
      this.ownedIo = null;
    } else {
      this.ownedIo =
          Executors.newCachedThreadPool(DaemonThreads.named("stowage-io-" + config.name() + "-"));
      givenIo = ownedIo;
    }
    this.io = loop.tracked(givenIo);
    this.callbackThread = Executors.newSingleThreadExecutor(
        DaemonThreads.named("stowage-callbacks-" + config.name() + "-"));
    this.callbacks = loop.tracked(callbackThread);
    Transferer transferer = config.transferer();
    this.transfers = new Transfers(transferer != null ? transferer
        : Transferer.newBuilder().maxConcurrency(8).executor(io).build(), time);
    this.policy = new RetryPolicy(config.maxLostAttempts(), config.maxFailedAttempts());
    this.stats = new Stats(config.name(), time, config.retainCount(), config.retainAge());
    this.drain = new Batcher<>(config.drainTimeout(), config.maxDrainWait());
    this.minAlloc = dims.vector(config.minAlloc());
    packer.widenScale(minAlloc);
    this.planner = new RequestPlanner(packer, minAlloc);
    this.pool = new AllocPool(new AllocPool.Settings(config.name(), config.cluster(),
        config.labels(), config.maxPendingAllocs(), config.maxAllocIdleTime(),
        config.keepaliveTimeout(), config.backoffInitial(), config.backoffMax()),
        allocs, time, io, stats, dims, packer, transfers);
    this.activity = time.register(loop);
    loop.start();
  }

  // ---------------------------------------------------------------- calls from other threads

  /**
   * Claims the tasks for this engine and queues them; never blocks on the engine.
   *
   * @param records the tasks to claim
   * @throws IllegalStateException if the engine is closed
   * @throws IllegalArgumentException if a task was already submitted or is done; then none is
   */
  public void submit(List<TaskRecord> records) {
    // A submit that got past the check posts its tasks before close() can post onClose: they are
    // queued, then failed with the "closed" error, never stranded.
    Lock lock = submitOrClose.readLock();
    lock.lock();
    try {
      if (closeRequested) {
        throw new IllegalStateException("scheduler " + config.name() + " is closed");
      }
      List<TaskRecord> claimed = new ArrayList<>(records.size());
      for (TaskRecord r : records) {
        String problem = r.claim(this, callbacks);
        if (problem != null) {
          claimed.forEach(TaskRecord::unclaim);
          throw new IllegalArgumentException(problem);
        }
        claimed.add(r);
      }
      post(new Event.Submitted(claimed));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds a listener of scheduler events; see {@code Scheduler.subscribe}.
   *
   * @param listener called with each event
   * @return a handle whose {@code close()} removes the listener
   */
  public AutoCloseable subscribe(Consumer<SchedulerEvent> listener) {
    listeners.add(listener);
    if (terminated.isDone()) {
      listener.accept(new SchedulerEvent.Closed(config.name()));
    }
    return () -> listeners.remove(listener);
  }

  /** Asks the engine to cancel {@code record}, which it owns. */
  void cancel(TaskRecord record) {
    post(new Event.CancelAsked(record));
  }

  /**
   * Starts closing: queued tasks fail, running ones are killed, every alloc is freed. The future
   * completes when all of that is done and the engine thread has stopped.
   *
   * @return the future of the engine's termination, the same on every call
   */
  public CompletableFuture<Void> close() {
    Lock lock = submitOrClose.writeLock();
    lock.lock();
    try {
      if (!closeRequested) {
        closeRequested = true;
        post(new Event.CloseAsked());
      }
    } finally {
      lock.unlock();
    }
    return terminated;
  }

  /**
   * Returns the counts as of the end of the engine's latest batch of events; any thread.
   *
   * @return the running totals
   */
  public SchedulerStats.Counts counts() {
    return stats.counts();
  }

  /**
   * Returns a snapshot of everything the engine knows; any thread.
   *
   * @return the stats snapshot
   */
  public SchedulerStats stats() {
    return stats.snapshot();
  }

  /**
   * Returns how many finished tasks and gone allocs the stats retain.
   *
   * @return the number retained
   */
  public long retained() {
    return stats.retained();
  }

  /**
   * Returns the engine's most recent events and effects, oldest first, for diagnostics; any thread.
   *
   * @return one line each
   */
  public List<String> recentEvents() {
    return loop.recent();
  }

  private void post(Event event) {
    loop.post(event);
  }

  // ---------------------------------------------------------------- the loop

  /** Hands {@code event} to the code that handles it; engine thread. */
  private void dispatch(Event event) {
    if (event instanceof Event.Submitted e) {
      onSubmitted(e.tasks());
    } else if (event instanceof Event.CancelAsked e) {
      onCancel(e.task());
    } else if (event instanceof Event.CloseAsked) {
      onClose();
    } else if (event instanceof Event.DrainDue) {
      onDrainTimer();
    } else if (event instanceof Event.BackoffOver) {
      pool.backoffOver();
    } else if (event instanceof Event.AllocAnswered e) {
      pool.answered(e.request(), e.alloc(), e.error(), queue);
    } else if (event instanceof Event.KeepaliveDue e) {
      pool.keepalive(e.alloc());
    } else if (event instanceof Event.KeepaliveAnswered e) {
      pool.keepaliveAnswered(e.alloc(), e.token(), e.next(), e.error());
    } else if (event instanceof Event.KeepaliveTimedOut e) {
      pool.keepaliveTimedOut(e.alloc(), e.token());
    } else if (event instanceof Event.IdleCheck e) {
      pool.idleCheck(e.alloc(), e.since());
    } else if (event instanceof Event.Staged e) {
      e.attempt().staged();
    } else if (event instanceof Event.StagingFailed e) {
      e.attempt().stagingFailed(e.cause());
    } else if (event instanceof Event.ExecStarted e) {
      e.attempt().execStarted(e.exec());
    } else if (event instanceof Event.ExecEnded e) {
      e.attempt().execEnded(e.result(), e.error());
    } else if (event instanceof Event.Uploaded e) {
      e.attempt().uploaded(e.result(), e.error());
    } else if (event instanceof Event.TimedOut e) {
      e.attempt().timedOut();
    } else if (event instanceof Event.KillTimedOut e) {
      e.attempt().killTimedOut(config.name());
    } else if (event instanceof Event.AllFreed) {
      terminate();
    } else {
      throw new IllegalStateException("unknown event " + event);
    }
  }

  /**
   * Makes the batch visible: first the stats of this instant, then the tasks' new statuses, then
   * the calls out that the batch decided on (allocation requests, staging and starting execs,
   * kills, frees), then the deliveries to waiters and listeners on the callback thread. So whoever
   * sees a change, by reading a status, being told, or being called, finds it in the stats and
   * in the statuses too.
   */
  private void endBatch() {
    stats.publish(queue.size() + drain.size(), pool.pendingCount(), pool.live(), dims, changes);
    for (Change c : changes) {
      c.task().publish(c.status(), defer);
    }
    changes.clear();
    if (!effects.isEmpty()) {
      List<Effect> now = new ArrayList<>(effects);
      effects.clear();
      for (Effect effect : now) {
        loop.traceEffect(effect);
        try {
          apply(effect);
        } catch (RuntimeException | Error e) {
          LOG.log(Level.ERROR, "scheduler " + config.name() + ": effect " + effect
              + " failed; continuing", e);
        }
      }
    }
    if (!deferred.isEmpty()) {
      List<Runnable> batch = new ArrayList<>(deferred);
      deferred.clear();
      callbacks.execute(() -> batch.forEach(this::deliver));
    }
  }

  /** Makes {@code effect} at the end of this batch, after the batch is visible; engine thread. */
  private void later(Effect effect) {
    effects.add(effect);
  }

  /** Makes one call out; engine thread, at the end of a batch. */
  private void apply(Effect effect) {
    if (effect instanceof Effect.SendRequest e) {
      pool.send(e.request());
    } else if (effect instanceof Effect.Stage e) {
      stage(e.attempt(), e.request(), e.from());
    } else if (effect instanceof Effect.Start e) {
      io.execute(() -> e.attempt().start(this::post));
    } else if (effect instanceof Effect.Upload e) {
      upload(e.attempt(), e.result(), e.to());
    } else if (effect instanceof Effect.Kill e) {
      io.execute(() -> killQuietly(e.exec()));
    } else if (effect instanceof Effect.Free e) {
      pool.free(e);
    } else {
      throw new IllegalStateException("unknown effect " + effect);
    }
  }

  private void deliver(Runnable delivery) {
    try {
      delivery.run();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, "scheduler " + config.name() + ": a delivery failed; continuing", e);
    }
  }

  // ---------------------------------------------------------------- submission and drain

  private void onSubmitted(List<TaskRecord> records) {
    long now = time.nanoTime();
    List<TaskRecord> accepted = new ArrayList<>(records.size());
    for (TaskRecord t : records) {
      stats.submitted(t);
      TaskException refusal = admit(t);
      if (refusal != null) {
        finish(t, refusal);
        continue;
      }
      if (packer.widenScale(t.need)) {
        queueSorted = false;
      }
      t.queuedSince = now;
      accepted.add(t);
    }
    if (accepted.isEmpty()) {
      return;
    }
    long deadline = drain.add(accepted, now);
    if (deadline != Batcher.NO_TIMER) {
      time.scheduleAt(deadline, () -> post(new Event.DrainDue()));
    }
    // Timers first, statuses last: whoever sees a status can rely on the timer being set.
    for (TaskRecord t : accepted) {
      publish(t, State.INIT, null, WaitReason.DRAINING, null, null);
    }
    if (drain.due(now)) {
      flushDrain();
    }
  }

  /** Returns why {@code t} cannot be queued, or null; sets its resource vector if it can. */
  private @Nullable TaskException admit(TaskRecord t) {
    if (closing) {
      return new TaskException(Kind.CLOSED,
          t.task + " was submitted while scheduler " + config.name() + " was closing");
    }
    if (t.cancelRequested) {
      return cancelled(t);
    }
    Resources need = t.task.resources();
    Admission admission;
    try {
      admission = Objects.requireNonNull(config.cluster().canAllocate(need), "admission");
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

  private void onDrainTimer() {
    long now = time.nanoTime();
    long next = drain.woke(now);
    if (next != Batcher.NO_TIMER) {
      time.scheduleAt(next, () -> post(new Event.DrainDue()));
    } else if (drain.due(now)) {
      flushDrain();
    }
  }

  private void flushDrain() {
    queue.addAll(drain.flush());
    queueSorted = false;
    dirty = true;
  }

  // ---------------------------------------------------------------- the pass

  /**
   * Places what it can and requests allocs for the rest. If anything throws all the same, the
   * queue is mended before the error is logged: it holds exactly the tasks still waiting, so none
   * is placed twice or forgotten.
   */
  private void pass() {
    try {
      placeAndRequest();
    } catch (RuntimeException | Error e) {
      queue.removeIf(t -> t.attempt != null || t.current.state() == State.DONE);
      queueSorted = false;
      throw e;
    }
  }

  private void placeAndRequest() {
    if (queue.isEmpty()) {
      return;
    }
    long now = time.nanoTime();
    if (!queueSorted) {
      // Sizes depend on the scale, which widens as larger tasks and allocs appear.
      placement.order(queue);
      queueSorted = true;
    }
    long starvedBefore = Durations.isForever(config.starvationThreshold()) ? Long.MIN_VALUE
        : now - Durations.nanos(config.starvationThreshold());
    Placement.Plan<LiveAlloc> plan = placement.plan(queue, pool.live(), starvedBefore);
    for (Placement.Placed<LiveAlloc> p : plan.placed()) {
      place(p.task(), p.alloc());
    }
    for (TaskRecord t : plan.reserved().keySet()) {
      setWaiting(t, WaitReason.RESERVED);
    }
    queue = plan.waiting();
    if (!queue.isEmpty()) {
      request(plan.left(), plan.reserved().isEmpty() ? Set.of() : reservedTasks(queue));
    }
  }

  private Set<TaskRecord> reservedTasks(List<TaskRecord> waiting) {
    Set<TaskRecord> out = new HashSet<>();
    for (TaskRecord t : waiting) {
      if (t.current.waiting() == WaitReason.RESERVED) {
        out.add(t);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- alloc requests

  /**
   * Has the planner credit {@code left} to the requests in flight and pack what remains into new
   * ones, and sends them; the tasks in {@code holding} keep their reservations.
   */
  private void request(Packer.Groups<TaskRecord> left, Set<TaskRecord> holding) {
    RequestPlanner.Plan plan = planner.plan(left, pool.credits(), pool.requestsAllowed(),
        pool.backingOff(), pool::admissible);
    markWaiting(plan.credited(), holding, WaitReason.ALLOC_PENDING);
    for (Packer.Bin<TaskRecord> bin : plan.requests()) {
      markWaiting(bin.members(), holding, WaitReason.ALLOC_PENDING);
      pool.request(new Requirements(dims.resources(bin.unit()), bin.width()), bin.credit());
    }
    for (TaskRecord t : plan.unsatisfiable()) {
      queue.remove(t);
      finish(t, new TaskException(Kind.UNSATISFIABLE, t.task + " needs "
          + t.task.resources() + ", which the cluster refused to allocate: "
          + pool.refusedReason()));
    }
    markWaiting(plan.rest(), holding, plan.restWait());
    if (plan.restWait() == WaitReason.BACKING_OFF && !plan.rest().isEmpty()) {
      pool.awaitBackoff();
    }
  }

  // ---------------------------------------------------------------- attempts

  /**
   * Places {@code t} on {@code a}, or, if that throws, ends {@code t} alone DONE with the error:
   * one bad task must not abort a pass after others were placed (they would be placed again).
   *
   * @return whether {@code t} was placed
   */
  private boolean place(TaskRecord t, LiveAlloc a) {
    try {
      Attempt.begin(t, a, repositoryOf(t), attempts);
      stats.allocsChanged();
      publish(t, State.STAGING, a.id, null, null, null);
      return true;
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "scheduler " + config.name() + ": placing " + t.task + " failed", e);
      Attempt begun = t.attempt;
      if (begun != null) {
        begun.release();
      }
      queue.remove(t);
      finish(t, new TaskException(Kind.FAILED, t.task + " could not be placed on alloc " + a.id
          + ": " + Failures.describe(e), null, e));
      return false;
    }
  }

  private @Nullable Repository repositoryOf(TaskRecord t) {
    Repository own = t.task.repository();
    return own != null ? own : config.repository();
  }

  /** What the alloc pool needs from the engine. */
  private final AllocPool.Host allocs = new AllocPool.Host() {
    @Override
    public void later(Effect effect) {
      Engine.this.later(effect);
    }

    @Override
    public void post(Event event) {
      Engine.this.post(event);
    }

    @Override
    public TimeSource.Cancellable timer(Duration delay, Event event) {
      return Engine.this.timer(delay, () -> post(event));
    }

    @Override
    public void emit(SchedulerEvent event) {
      Engine.this.emit(event);
    }

    @Override
    public void changed() {
      dirty = true;
    }

    @Override
    public void rescaled() {
      queueSorted = false;
    }

    @Override
    public void abandoned(Attempt attempt, String why) {
      TaskException stop = attempt.stopping();
      decide(attempt.task, stop != null ? new RetryPolicy.Outcome.Ended(stop)
          : new RetryPolicy.Outcome.Lost(why));
    }
  };

  /** What attempts need from the engine. */
  private final Attempt.Host attempts = new Attempt.Host() {
    @Override
    public void later(Effect effect) {
      Engine.this.later(effect);
    }

    @Override
    public TimeSource.Cancellable timer(Duration delay, Event event) {
      return Engine.this.timer(delay, () -> post(event));
    }

    @Override
    public void running(Attempt attempt) {
      publish(attempt.task, State.RUNNING, attempt.alloc.id, null, null, null);
    }

    @Override
    public void release(Attempt attempt) {
      pool.release(attempt);
    }

    @Override
    public void settle(Attempt attempt, RetryPolicy.Outcome outcome) {
      decide(attempt.task, outcome);
      dirty = true;
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
      return config.killTimeout();
    }
  };

  /** Copies an attempt's inputs onto its alloc, and says so when done. */
  private void stage(Attempt attempt, ExecRequest req, @Nullable Repository from) {
    CompletableFuture<?> staged = from == null || req.inputs().files().isEmpty()
        ? CompletableFuture.completedFuture(null)
        : transfers.copy(from, attempt.alloc.alloc.repository(), req.inputs(),
            "staging inputs of " + attempt.task.task);
    staged.whenComplete((v, e) -> post(e != null
        ? new Event.StagingFailed(attempt, Failures.unwrap(e)) : new Event.Staged(attempt)));
  }

  /** Copies an attempt's outputs to the task's repository, and says so when done. */
  private void upload(Attempt attempt, ExecResult result, Repository to) {
    transfers.copy(attempt.alloc.alloc.repository(), to, result.outputs(),
            "uploading outputs of " + attempt.task.task)
        .whenComplete((v, e) -> post(new Event.Uploaded(attempt, result, Failures.unwrap(e))));
  }

  private void onCancel(TaskRecord t) {
    if (t.current.state() == State.DONE) {
      return;
    }
    if (drain.remove(t) || queue.remove(t)) {
      finish(t, cancelled(t));
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

  /** Decides on {@code t} after its attempt ended: done, queued again, or given up. */
  private void decide(TaskRecord t, RetryPolicy.Outcome outcome) {
    if (outcome instanceof RetryPolicy.Outcome.Succeeded s) {
      publish(t, State.DONE, null, null, s.result(), null);
    } else if (outcome instanceof RetryPolicy.Outcome.Ended e) {
      finish(t, e.error());
    } else if (outcome instanceof RetryPolicy.Outcome.Lost l) {
      t.lostCount++;
      stats.attemptsLost++;
      publish(t, State.LOST, t.current.allocId(), null, null, null);
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
      finish(t, giveUp);
      return;
    }
    LOG.log(Level.INFO, () -> "scheduler " + config.name() + ": " + t.task + " " + what
        + "; queued again");
    requeue(t);
  }

  private void requeue(TaskRecord t) {
    TaskStatus s = t.current;
    int attempt = s.attempt() + 1;
    long now = time.nanoTime();
    publish(t, new TaskStatus(State.INIT, attempt, t.task.key() + "." + attempt, null,
        WaitReason.QUEUED, null, null, now));
    t.queuedSince = now;  // starvation counts the wait of this attempt, not the time it ran
    queue.add(t);
    queueSorted = false;
    dirty = true;
  }

  private void finish(TaskRecord t, TaskException error) {
    publish(t, State.DONE, null, null, null, error);
  }

  private TaskException cancelled(TaskRecord t) {
    return new TaskException(Kind.CANCELLED, t.task + " was cancelled");
  }

  private void setWaiting(TaskRecord t, WaitReason reason) {
    TaskStatus s = t.current;
    if (s.waiting() != reason) {
      publish(t, new TaskStatus(s.state(), s.attempt(), s.id(), null, reason, null, null,
          s.sinceNanos()));
    }
  }

  private void markWaiting(List<TaskRecord> tasks, Set<TaskRecord> holding, WaitReason reason) {
    for (TaskRecord t : tasks) {
      if (!holding.contains(t)) {
        setWaiting(t, reason);
      }
    }
  }

  private TaskStatus publish(TaskRecord t, State state, @Nullable String allocId,
      @Nullable WaitReason waiting, @Nullable ExecResult result, @Nullable TaskException error) {
    TaskStatus s = t.current;
    TaskStatus next = new TaskStatus(state, s.attempt(), s.id(), allocId, waiting, result, error,
        time.nanoTime());
    publish(t, next);
    return next;
  }

  /** The one place a task's status changes: its waiters, listeners and our subscribers hear it. */
  private void publish(TaskRecord t, TaskStatus next) {
    stats.changed(t, t.current, next);
    t.current = next;
    changes.add(new Change(t, next));
    emit(new SchedulerEvent.TaskChanged(t.task, next));
  }

  private void emit(SchedulerEvent event) {
    if (listeners.isEmpty()) {
      return;
    }
    defer.execute(() -> {
      for (Consumer<SchedulerEvent> l : listeners) {
        try {
          l.accept(event);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "scheduler " + config.name() + ": listener threw; ignored", e);
        }
      }
    });
  }

  // ---------------------------------------------------------------- closing

  private void onClose() {
    closing = true;
    for (TaskRecord t : drain.flush()) {
      finish(t, closedBeforeRun(t));
    }
    for (TaskRecord t : queue) {
      finish(t, closedBeforeRun(t));
    }
    queue.clear();
    pool.close();
    for (LiveAlloc a : pool.live()) {
      for (Attempt attempt : a.running) {
        TaskException stop = attempt.stopping();
        attempt.stop(stop != null && stop.kind() == Kind.CANCELLED ? stop
            : new TaskException(Kind.CLOSED, attempt.task.task + " was killed: scheduler "
                + config.name() + " closed"));
      }
    }
  }

  private TaskException closedBeforeRun(TaskRecord t) {
    return new TaskException(Kind.CLOSED, t.task + " did not run: scheduler " + config.name()
        + " closed");
  }

  /** Once closing, and no request or attempt is left, frees every alloc, then terminates. */
  private void maybeFinishClose() {
    if (!closing || finishing || pool.busy()) {
      return;
    }
    finishing = true;
    pool.freeAll().whenComplete((v, e) -> post(new Event.AllFreed()));
  }

  private void terminate() {
    loop.stop();
    emit(new SchedulerEvent.Closed(config.name()));
    endBatch();
    if (ownedIo != null) {
      ownedIo.shutdown();
    }
    activity.cancel();
    // Deliveries already queued still run; complete after them, so that whoever waits for close()
    // has seen every task's final status.
    callbackThread.execute(() -> terminated.complete(null));
    callbackThread.shutdown();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Runs {@code action} after {@code delay}, or never if the delay is {@link Durations#FOREVER} or
   * longer; a negative delay counts as zero.
   */
  private TimeSource.Cancellable timer(Duration delay, Runnable action) {
    if (Durations.isForever(delay)) {
      return NEVER;
    }
    return time.schedule(delay.isNegative() ? Duration.ZERO : delay, action);
  }

  private static final TimeSource.Cancellable NEVER = () -> { };

  private static void killQuietly(Exec x) {
    try {
      x.kill();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "killing exec " + x.id() + " failed", e);
    }
  }

  // ---------------------------------------------------------------- engine-owned records

  /** A task's new status, to be published at the end of the batch. */
  record Change(TaskRecord task, TaskStatus status) {}
}
