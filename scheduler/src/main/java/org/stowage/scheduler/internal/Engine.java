package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerEvent;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.TimeSource;

/**
 * The scheduling engine: the coordinator of the rooms below. Not API; {@code Scheduler} is its
 * face.
 *
 * <p><b>One owner thread.</b> All scheduling state belongs to one thread, the {@link EventLoop}'s.
 * Other threads only post {@link Event}s to it: callers submit, cancel and close; the
 * {@link TimeSource}'s timers say that a drain, keepalive, idle, backoff, task or kill timeout has
 * come; the calls out say how they went. No I/O and no blocking runs on that thread: calls into the
 * cluster's allocs, which may block, run on the I/O executor and post their outcome back; only
 * {@link Cluster#allocate} (which must not block) and {@link Cluster#canAllocate} (which must
 * answer from memory) are called on it. Time is read from the injected time source alone, and the
 * loop counts the work in flight, so that a fake clock can run the engine until it is idle.
 *
 * <p><b>Batches.</b> The loop handles every event waiting, then ends the batch: if anything
 * changed it runs one pass, and then makes the batch visible in a fixed order: the stats of this
 * instant, then the tasks' new statuses ({@link Publisher}), then the calls out that the batch
 * decided on ({@link Effect}s: requests, staging, starts, uploads, kills, frees), then the
 * deliveries to waiters and listeners on the callback thread. So whoever sees a change, by reading
 * a status, being told or being called, finds it in the stats and the statuses too.
 *
 * <p><b>The rooms.</b> {@link TaskQueue} holds the waiting tasks: the drain ({@link Batcher})
 * gathers a burst of submissions, which then queue in order; between attempts it decides, by the
 * {@link RetryPolicy}, whether a task is done, tried again or given up. The {@link Pass} is
 * {@link Placement}, each waiting task to the live alloc it fits best, starved tasks first and
 * holding an alloc if they fit none, then {@link RequestPlanner}: what is left is credited to the
 * requests in flight, each with all it asked for, and the rest packed into new requests. Both are
 * pure; the pass applies their plans. {@link AllocPool} holds the requests in flight and the live
 * allocs, with their keepalives, idle reclamation and the backoff after a refusal. Each
 * {@link Attempt} is one try of a task on an alloc, phase by phase; its exec is started holding the
 * alloc's lock, which freeing the alloc takes too, so no exec starts on an alloc given up.
 *
 * <p><b>Failures.</b> A task that throws as it is placed ends alone, DONE with the error; if the
 * pass itself throws, the queue is mended to hold exactly the tasks still waiting. Durations of
 * {@link Durations#FOREVER} or more mean never, and time arithmetic saturates.
 *
 * <p><b>Closing.</b> Submit and close share a read-write lock, so that no submit is half done when
 * close starts. Closing ends the waiting tasks, cancels the requests in flight and stops the
 * attempts (an exec that ignores its kill is given up on after the kill timeout); once none is
 * left, every alloc is freed, and the loop stops when every free has been answered.
 *
 * <p>Concurrency: the public methods are for any thread; all else runs on the loop's thread.
 */
public final class Engine {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());

  /** The engine's settings; validated by the scheduler's builder. */
  public record Config(String name, Cluster cluster, Labels labels, Duration drainTimeout,
      Duration maxDrainWait, Resources minAlloc, int maxPendingAllocs, Duration maxAllocIdleTime,
      int maxLostAttempts, int maxFailedAttempts, Duration starvationThreshold,
      Duration keepaliveTimeout, Duration killTimeout, Duration backoffInitial,
      Duration backoffMax, TimeSource time, @Nullable Executor io,
      @Nullable Repository repository, @Nullable Transferer transferer, int retainCount,
      Duration retainAge) {}

  private final Config config;
  private final EventLoop loop;
  /** The engine's registration with its time source, ended once the engine has stopped. */
  private final TimeSource.Cancellable activity;
  private final @Nullable ExecutorService ownedIo;
  private final ExecutorService callbackThread;
  /** The I/O executor and the callback thread, tracked by the loop as work in flight. */
  private final Executor io;
  private final Executor callbacks;
  private final Stats stats;
  private final Publisher publisher;
  private final Transfers transfers;
  private final Dimensions dims = new Dimensions();
  private final TaskQueue tasks;
  private final AllocPool pool;
  private final Pass pass;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  /** Submits share it; close takes it alone, so that no submit is half done when close starts. */
  private final ReadWriteLock submitOrClose = new ReentrantReadWriteLock();
  private volatile boolean closeRequested;
  private boolean closing;
  private boolean finishing;

  /**
   * Creates and starts an engine.
   *
   * @param config the engine's settings and collaborators
   */
  public Engine(Config config) {
    this.config = config;
    TimeSource time = config.time();
    this.loop = new EventLoop(config.name(), time, new EventLoop.Handler() {
      @Override
      public void handle(Event event) {
        dispatch(event);
      }

      @Override
      public void endBatch() {
        Engine.this.endBatch();
      }

      @Override
      public void interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        terminated.completeExceptionally(e);
      }
    });
    Executor givenIo = config.io();
    this.ownedIo = givenIo != null ? null : Executors.newCachedThreadPool(
        DaemonThreads.named("stowage-io-" + config.name() + "-"));
    this.io = loop.tracked(givenIo != null ? givenIo : ownedIo);
    this.callbackThread = Executors.newSingleThreadExecutor(
        DaemonThreads.named("stowage-callbacks-" + config.name() + "-"));
    this.callbacks = loop.tracked(callbackThread);
    Transferer transferer = config.transferer();
    this.transfers = new Transfers(transferer != null ? transferer
        : Transferer.newBuilder().maxConcurrency(8).executor(io).build(), time);
    this.stats = new Stats(config.name(), time, config.retainCount(), config.retainAge());
    this.publisher = new Publisher(config.name(), time, stats);
    Packer packer = new Packer();
    double[] minAlloc = dims.vector(config.minAlloc());
    packer.widenScale(minAlloc);
    Placement placement = new Placement(packer);
    this.tasks = new TaskQueue(config, loop, publisher, stats, dims, packer);
    this.pool = new AllocPool(new AllocPool.Settings(config.name(), config.cluster(),
        config.labels(), config.maxPendingAllocs(), config.maxAllocIdleTime(),
        config.keepaliveTimeout(), config.backoffInitial(), config.backoffMax()),
        tasks, loop, publisher, time, io, stats, dims, packer, transfers);
    this.pass = new Pass(config, loop, publisher, stats, dims, placement,
        new RequestPlanner(packer, minAlloc), tasks, pool);
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
    // A submit that got past the check posts its tasks before close() can post its own event:
    // they are queued, then failed with the "closed" error, never stranded.
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
      loop.post(new Event.Submitted(claimed));
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
    return publisher.subscribe(listener, terminated.isDone());
  }

  /** Asks the engine to cancel {@code record}, which it owns. */
  void cancel(TaskRecord record) {
    loop.post(new Event.CancelAsked(record));
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
        loop.post(new Event.CloseAsked());
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
   * Returns how many finished tasks and gone allocs the stats retain; any thread.
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

  // ---------------------------------------------------------------- the loop's thread

  /** Hands {@code event} to the room that handles it. */
  private void dispatch(Event event) {
    if (event instanceof Event.Submitted e) {
      tasks.submitted(e.tasks());
    } else if (event instanceof Event.CancelAsked e) {
      tasks.cancel(e.task());
    } else if (event instanceof Event.CloseAsked) {
      onClose();
    } else if (event instanceof Event.DrainDue) {
      tasks.drainDue();
    } else if (event instanceof Event.BackoffOver) {
      pool.backoffOver();
    } else if (event instanceof Event.AllocAnswered e) {
      pool.answered(e.request(), e.alloc(), e.error());
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

  /** Ends a batch: the pass if one is due, then the batch made visible, in order. */
  private void endBatch() {
    if (tasks.takePassDue()) {
      try {
        pass.run();
      } catch (RuntimeException | Error e) {
        tasks.mend();
        LOG.log(Level.ERROR, "scheduler " + config.name() + ": the pass failed; continuing", e);
      }
    }
    maybeFinishClose();
    publisher.publishBatch(tasks.size(), pool.pendingCount(), dims);
    loop.runEffects(this::apply);
    publisher.deliver(callbacks);
  }

  /** Makes one call out. */
  private void apply(Effect effect) {
    if (effect instanceof Effect.SendRequest e) {
      pool.send(e.request());
    } else if (effect instanceof Effect.Stage e) {
      e.attempt().stage(transfers);
    } else if (effect instanceof Effect.Start e) {
      io.execute(e.attempt()::start);
    } else if (effect instanceof Effect.Upload e) {
      e.attempt().upload(e.result(), e.to(), transfers);
    } else if (effect instanceof Effect.Kill e) {
      io.execute(() -> kill(e.exec()));
    } else if (effect instanceof Effect.Free e) {
      pool.free(e);
    } else {
      throw new IllegalStateException("unknown effect " + effect);
    }
  }

  // ---------------------------------------------------------------- closing

  private void onClose() {
    closing = true;
    tasks.close();
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

  /** Once closing, and no request or attempt is left, frees every alloc, then terminates. */
  private void maybeFinishClose() {
    if (!closing || finishing || pool.busy()) {
      return;
    }
    finishing = true;
    pool.freeAll().whenComplete((v, e) -> loop.post(new Event.AllFreed()));
  }

  private void terminate() {
    loop.stop();
    publisher.emit(new SchedulerEvent.Closed(config.name()));
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

  private static void kill(Exec x) {
    try {
      x.kill();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "killing exec " + x.id() + " failed", e);
    }
  }
}
