package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.TimeSource;

/**
 * The engine's thread and its queue of {@link Event}s. Events are handled one by one, in the order
 * posted; after the last event waiting, the handler ends the batch (see {@code Engine}), and runs
 * the {@link Effect}s that the batch decided on. Timers post events too ({@link #after},
 * {@link #at}). Not API.
 *
 * <p>It also knows when the engine is idle, for tests on a fake clock: a counter holds the work in
 * flight, that is events posted and not yet handled to the end of their batch, and tasks handed to
 * the executors it {@linkplain #tracked tracks} (the I/O executor, the callback executor) and not
 * yet finished. Every piece of work that leads to more posts the next event, or submits the next
 * task, before it counts itself done, so the counter reaches zero only when nothing is left.
 *
 * <p>It remembers its most recent events and effects, so that a test that fails can show what the
 * engine did last ({@link #describe()}).
 *
 * <p>Concurrency: {@link #post}, the tracked executors and {@link #awaitIdle} are for any thread;
 * the handler runs on the loop's own thread only.
 */
final class EventLoop implements TimeSource.Activity {

  private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

  /** How many recent events and effects are remembered. */
  static final int TRACE_SIZE = 64;

  /** What the loop's thread does with events. */
  interface Handler {
    /** Handles one event; an exception is logged, and the loop goes on. */
    void handle(Event event);

    /** Ends a batch: called once the queue is empty, after one or more events. */
    void endBatch();

    /** Called on the loop's thread if it is interrupted, as it stops. */
    void interrupted(InterruptedException e);
  }

  /** The loop whose tracked executor runs on the current thread, if any. */
  private static final ThreadLocal<@Nullable EventLoop> INSIDE = new ThreadLocal<>();

  private final String name;
  private final TimeSource time;
  private final Handler handler;
  /** Calls out that this batch decided on, made at its end; loop thread. */
  private final List<Effect> effects = new ArrayList<>();
  private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicLong busy = new AtomicLong();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition idle = idleLock.newCondition();
  private volatile boolean waiting;
  private volatile boolean stopped;
  private volatile boolean stopRequested;

  // guarded by trace
  private final Object[] trace = new Object[TRACE_SIZE];
  private long traced;

  /**
   * Creates a loop; {@link #start()} starts its thread.
   *
   * @param name the scheduler's name, for the thread's name and messages
   * @param time the clock whose timers post events
   * @param handler what handles the events
   */
  EventLoop(String name, TimeSource time, Handler handler) {
    this.name = name;
    this.time = time;
    this.handler = handler;
    this.thread = new Thread(this::run, "stowage-engine-" + name);
    thread.setDaemon(true);
  }

  /** Starts the loop's thread. */
  void start() {
    thread.start();
  }

  /**
   * Queues {@code event} for the loop's thread; any thread, never blocks. Once the loop has
   * stopped, events are dropped.
   */
  void post(Event event) {
    if (stopRequested) {
      LOG.log(Level.DEBUG, () -> "scheduler " + name + " has stopped; dropped " + event);
      return;
    }
    busy.incrementAndGet();
    queue.add(event);
  }

  /**
   * Asks the loop to stop after the batch in progress; loop thread only. Events posted from now on
   * are dropped.
   */
  void stop() {
    stopRequested = true;
  }

  /**
   * Returns an executor that runs tasks on {@code delegate} and counts each as work in flight until
   * it has run. A rejected task is not counted, and the rejection is thrown.
   */
  Executor tracked(Executor delegate) {
    return new Executor() {
      @Override
      public void execute(Runnable task) {
        busy.incrementAndGet();
        try {
          delegate.execute(() -> {
            EventLoop outer = INSIDE.get();
            INSIDE.set(EventLoop.this);
            try {
              task.run();
            } finally {
              INSIDE.set(outer);
              done(1);
            }
          });
        } catch (RuntimeException | Error e) {
          done(1);
          throw e;
        }
      }

      @Override
      public String toString() {
        return delegate + " (tracked by scheduler " + name + ")";
      }
    };
  }

  /**
   * Posts {@code event} after {@code delay}, or never if the delay is {@link Durations#FOREVER}
   * or longer; a negative delay counts as zero.
   *
   * @return a handle that cancels the timer
   */
  TimeSource.Cancellable after(Duration delay, Event event) {
    if (Durations.isForever(delay)) {
      return NEVER;
    }
    return time.schedule(delay.isNegative() ? Duration.ZERO : delay, () -> post(event));
  }

  /** Posts {@code event} when the clock reaches {@code deadline}, on the time source's clock. */
  void at(long deadline, Event event) {
    time.scheduleAt(deadline, () -> post(event));
  }

  private static final TimeSource.Cancellable NEVER = () -> { };

  /** Makes {@code effect} at the end of this batch, after the batch is visible; loop thread. */
  void later(Effect effect) {
    effects.add(effect);
  }

  /**
   * Makes this batch's effects, in order, each by {@code apply}; one that throws is logged, and the
   * rest are made. Loop thread, at the end of a batch.
   */
  void runEffects(Consumer<Effect> apply) {
    if (effects.isEmpty()) {
      return;
    }
    List<Effect> now = new ArrayList<>(effects);
    effects.clear();
    for (Effect effect : now) {
      remember(effect);
      try {
        apply.accept(effect);
      } catch (RuntimeException | Error e) {
        LOG.log(Level.ERROR, "scheduler " + name + ": effect " + effect + " failed; continuing",
            e);
      }
    }
  }

  /** Returns whether the current thread is the loop's own. */
  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  private void run() {
    try {
      while (!stopRequested) {
        Event event = queue.take();
        long n = 1;
        handle(event);
        Event next;
        while ((next = queue.poll()) != null) {
          handle(next);
          n++;
        }
        try {
          handler.endBatch();
        } catch (RuntimeException | Error e) {
          LOG.log(Level.ERROR, "scheduler " + name + ": ending a batch failed; continuing", e);
        } finally {
          done(n);
        }
      }
    } catch (InterruptedException e) {
      handler.interrupted(e);
    } finally {
      stopped = true;
      queue.clear();
      signalIdle();
    }
  }

  private void handle(Event event) {
    remember(event);
    try {
      handler.handle(event);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, "scheduler " + name + ": event " + event + " failed; continuing", e);
    }
  }

  private void done(long n) {
    if (busy.addAndGet(-n) == 0 && waiting) {
      signalIdle();
    }
  }

  private void signalIdle() {
    idleLock.lock();
    try {
      idle.signalAll();
    } finally {
      idleLock.unlock();
    }
  }

  private boolean isIdle() {
    return stopped || busy.get() == 0;
  }

  @Override
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    if (inLoop() || INSIDE.get() == this) {
      throw new IllegalStateException("cannot wait for scheduler " + name + " to be idle on "
          + Thread.currentThread().getName() + ", one of its own threads");
    }
    if (isIdle()) {
      return true;
    }
    long left = Durations.nanos(timeout);
    idleLock.lock();
    try {
      waiting = true;
      while (!isIdle()) {
        if (left <= 0) {
          return false;
        }
        left = idle.awaitNanos(left);
      }
      return true;
    } finally {
      waiting = idleLock.hasWaiters(idle);
      idleLock.unlock();
    }
  }

  @Override
  public String describe() {
    StringBuilder out = new StringBuilder("scheduler ").append(name).append(": ")
        .append(stopped ? "stopped" : isIdle() ? "idle" : busy.get() + " piece(s) of work")
        .append(", ").append(queue.size()).append(" event(s) queued; recent events, oldest first:");
    for (String line : recent()) {
      out.append("\n  ").append(line);
    }
    return out.toString();
  }

  /**
   * Returns the most recent events and effects, oldest first, at most {@link #TRACE_SIZE}.
   *
   * @return one line each
   */
  List<String> recent() {
    List<String> out = new ArrayList<>();
    synchronized (trace) {
      long from = Math.max(0, traced - TRACE_SIZE);
      for (long i = from; i < traced; i++) {
        Object entry = trace[(int) (i % TRACE_SIZE)];
        out.add("#" + i + (entry instanceof Effect ? " effect " : " event ") + entry);
      }
    }
    return out;
  }

  private void remember(Object entry) {
    synchronized (trace) {
      trace[(int) (traced++ % TRACE_SIZE)] = entry;
    }
  }

  @Override
  public String toString() {
    return "event loop of scheduler " + name;
  }
}
