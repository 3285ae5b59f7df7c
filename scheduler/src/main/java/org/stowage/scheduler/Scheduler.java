package org.stowage.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.management.ObjectName;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.internal.Durations;
import org.stowage.scheduler.internal.Engine;
import org.stowage.scheduler.internal.Jmx;
import org.stowage.scheduler.internal.TaskRecord;

/**
 * Runs submitted tasks on allocs obtained on demand from a {@link Cluster}, packing them into as
 * few allocs as it can.
 *
 * <pre>{@code
 * try (Scheduler scheduler = Scheduler.newBuilder().cluster(cluster).build()) {
 *   Task task = Task.newBuilder().command("sort", "in.txt").resources(Resources.of("cpu", 1)).build();
 *   scheduler.submit(List.of(task));
 *   task.await(State.DONE).join();
 * }
 * }</pre>
 *
 * <p>Thread-safety: thread-safe. {@link #submit} may be called from any number of threads and
 * never blocks on the scheduler's own thread.
 */
public final class Scheduler implements AutoCloseable {

  private final String name;
  private final Engine engine;
  private final Duration closeTimeout;
  private final @Nullable Repository repository;
  private final @Nullable Jmx jmx;
  private final @Nullable ObjectName jmxName;

  private Scheduler(SchedulerOptions options) {
    this.name = options.newName();
    this.closeTimeout = options.closeTimeout();
    this.repository = options.repository();
    this.engine = new Engine(options.engineConfig(name));
    if (options.jmx()) {
      this.jmx = new Jmx(name, engine::stats, engine::counts);
      this.jmxName = jmx.register();
    } else {
      this.jmx = null;
      this.jmxName = null;
    }
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the defaults
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns the scheduler's name.
   *
   * @return its name
   */
  public String name() {
    return name;
  }

  /**
   * Submits tasks. Returns at once; the scheduler gathers submissions that arrive within the drain
   * timeout of each other and packs them together. Each task is owned by this scheduler from now on.
   *
   * @param tasks the tasks to run; not empty
   * @throws NullPointerException if {@code tasks} or any task is null
   * @throws IllegalArgumentException if {@code tasks} is empty, a task was already submitted
   *     (here or elsewhere) or is already done, or a task has inputs and neither it nor this
   *     scheduler has a repository; then none of the tasks is submitted
   * @throws IllegalStateException if the scheduler is closed
   */
  public void submit(Collection<Task> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("tasks must not be empty");
    }
    List<TaskRecord> records = new ArrayList<>(tasks.size());
    int i = 0;
    for (Task t : tasks) {
      if (t == null) {
        throw new NullPointerException("tasks[" + i + "] is null");
      }
      if (t.repository() == null && repository == null && !t.inputs().files().isEmpty()) {
        throw new IllegalArgumentException(t + " has inputs but no repository to read them from:"
            + " set one on the task or on the scheduler");
      }
      // The engine reaches what users see of the task only through these hooks.
      TaskProgress p = t.progress();
      records.add(new TaskRecord(t, p::claim, p::unclaim, p::publish));
      i++;
    }
    engine.submit(records);
  }

  /**
   * Submits one task; see {@link #submit(Collection)}.
   *
   * @param task the task to run
   */
  public void submit(Task task) {
    submit(List.of(Objects.requireNonNull(task, "task")));
  }

  /**
   * Calls {@code listener} with every event from now on, in order, on the scheduler's callback
   * thread (the one that also completes {@link Task#await} futures). The last event is
   * {@link SchedulerEvent.Closed}; a listener added after the scheduler closed gets it at once, on
   * the calling thread. The listener must not block; an exception it throws is logged and ignored.
   *
   * @param listener called with each event
   * @return a handle whose {@code close()} stops the calls
   */
  public AutoCloseable subscribe(java.util.function.Consumer<SchedulerEvent> listener) {
    return engine.subscribe(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Returns the scheduler's running totals, as of the end of its latest batch of events: they
   * always agree with each other. Cheap: no copying.
   *
   * @return the running totals
   */
  public SchedulerStats.Counts counts() {
    return engine.counts();
  }

  /**
   * Returns a snapshot of the scheduler's counts, allocs and tasks; see {@link SchedulerStats} for
   * what is consistent with what. Costs one record per task and alloc it lists; never blocks the
   * scheduler.
   *
   * @return the snapshot
   */
  public SchedulerStats stats() {
    return engine.stats();
  }

  /**
   * Returns the name the scheduler's MXBean is registered under
   * ({@code org.stowage:type=Scheduler,name=<name>}, or {@code <name>-2} and so on if another
   * scheduler of this JVM has the name), or null if it is not registered.
   *
   * @return the MXBean's name, or null
   */
  public @Nullable ObjectName jmxName() {
    return jmxName;
  }

  /** Returns how many finished tasks and gone allocs the stats retain now. */
  long retained() {
    return engine.retained();
  }

  /**
   * Starts closing without waiting: tasks still queued end DONE with a
   * {@link TaskException.Kind#CLOSED} error, running ones are killed and end the same way, pending
   * allocation requests are cancelled and every alloc is freed. New submissions are refused.
   *
   * @return a future that completes when everything is freed and the scheduler's threads stopped
   */
  public CompletableFuture<Void> shutdown() {
    if (jmx != null) {
      jmx.unregister();
    }
    return engine.close();
  }

  /**
   * Closes the scheduler and waits for it; see {@link #shutdown()}. Idempotent.
   *
   * @throws IllegalStateException if it did not finish within the close timeout
   */
  @Override
  public void close() {
    try {
      CompletableFuture<Void> closed = shutdown();
      if (Durations.isForever(closeTimeout)) {
        closed.get();
      } else {
        closed.get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("scheduler " + name + " failed while closing", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("scheduler " + name + " did not close within "
          + closeTimeout + ": an exec or alloc did not answer kill() or free()", e);
    }
  }

  @Override
  public String toString() {
    return "scheduler " + name;
  }

  /**
   * Builds a {@link Scheduler}. Each option may be set once; {@link #cluster} is required.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    /** What was set, checked as it is set; the defaults and the checks across options too. */
    private final SchedulerOptions options = new SchedulerOptions();

    private Builder() {}

    /**
     * Sets a name, used in thread names, logs and messages; default {@code scheduler-N}.
     *
     * @param name the scheduler's name; not blank
     * @return this builder
     */
    public Builder name(String name) {
      options.name(name);
      return this;
    }

    /**
     * Sets where allocs come from. Required.
     *
     * @param cluster the cluster to allocate from
     * @return this builder
     */
    public Builder cluster(Cluster cluster) {
      options.cluster(cluster);
      return this;
    }

    /**
     * Sets the labels passed to {@link Cluster#allocate}; default none.
     *
     * @param labels the labels for the cluster
     * @return this builder
     */
    public Builder labels(Labels labels) {
      options.labels(labels);
      return this;
    }

    /**
     * Sets how long the scheduler waits after a submission for more to arrive before it packs
     * them; default 50 ms. Zero packs every submission at once. It may not be longer than
     * {@link #maxDrainWait} (default 500 ms): {@link #build()} refuses a longer one rather than
     * cut every burst short, so a drain timeout above 500 ms needs a max drain wait at least as
     * long. 100 years or more means "never": set the max drain wait as long, and no task runs.
     *
     * @param drainTimeout the quiet time that ends a burst; not negative
     * @return this builder
     */
    public Builder drainTimeout(Duration drainTimeout) {
      options.drainTimeout(drainTimeout);
      return this;
    }

    /**
     * Sets the longest a burst may be gathered, however steadily submissions keep arriving;
     * default 500 ms. It may not be shorter than the {@link #drainTimeout} (default 50 ms):
     * {@link #build()} refuses a shorter one, so a max drain wait under 50 ms needs a drain timeout
     * at most as long (zero packs every submission at once). 100 years or more means "never": a
     * burst is gathered for as long as submissions keep arriving within the drain timeout.
     *
     * @param maxDrainWait the longest a burst is gathered; not negative
     * @return this builder
     */
    public Builder maxDrainWait(Duration maxDrainWait) {
      options.maxDrainWait(maxDrainWait);
      return this;
    }

    /**
     * Sets the smallest alloc worth requesting; requests are at least this large in every
     * dimension; default {@code {cpu:1 mem:1GiB}}. Where the cluster could never give that much,
     * requests are sized by their tasks alone; so {@link #build()} refuses a min alloc that is set
     * and that the cluster {@linkplain Cluster#canAllocate says it can never give}.
     *
     * @param minAlloc the smallest alloc to request
     * @return this builder
     */
    public Builder minAlloc(Resources minAlloc) {
      options.minAlloc(minAlloc);
      return this;
    }

    /**
     * Sets how many allocation requests may be in flight at once; default 1,000. Requests go out
     * in a window that starts at 5, grows by one with each alloc granted and halves on a refusal.
     *
     * @param maxPendingAllocs the most requests in flight; at least 1
     * @return this builder
     */
    public Builder maxPendingAllocs(int maxPendingAllocs) {
      options.maxPendingAllocs(maxPendingAllocs);
      return this;
    }

    /**
     * Sets how long an alloc may run no task before it is freed; default 5 minutes.
     *
     * @param maxAllocIdleTime how long an idle alloc is kept; not negative
     * @return this builder
     */
    public Builder maxAllocIdleTime(Duration maxAllocIdleTime) {
      options.maxAllocIdleTime(maxAllocIdleTime);
      return this;
    }

    /**
     * Sets how many times a task may be lost (its alloc died) before it ends DONE with a
     * {@link TaskException.Kind#LOST} error; default 3.
     *
     * @param maxLostAttempts the most times a task may be lost; at least 1
     * @return this builder
     */
    public Builder maxLostAttempts(int maxLostAttempts) {
      options.maxLostAttempts(maxLostAttempts);
      return this;
    }

    /**
     * Sets how many attempts of a task may fail (non-zero exit, exec error) before it ends DONE
     * with a {@link TaskException.Kind#FAILED} error; default 1, that is no retry.
     *
     * @param maxFailedAttempts the most failed attempts of a task; at least 1
     * @return this builder
     */
    public Builder maxFailedAttempts(int maxFailedAttempts) {
      options.maxFailedAttempts(maxFailedAttempts);
      return this;
    }

    /**
     * Sets how long a task may wait before it is placed ahead of all others and holds an alloc
     * for itself, so a stream of small tasks cannot starve it; default 1 minute.
     *
     * @param starvationThreshold how long a task may wait before it goes first; not negative
     * @return this builder
     */
    public Builder starvationThreshold(Duration starvationThreshold) {
      options.starvationThreshold(starvationThreshold);
      return this;
    }

    /**
     * Sets how long a keepalive may take before the alloc counts as dead; default 30 s.
     *
     * @param keepaliveTimeout how long a keepalive may take; positive
     * @return this builder
     */
    public Builder keepaliveTimeout(Duration keepaliveTimeout) {
      options.keepaliveTimeout(keepaliveTimeout);
      return this;
    }

    /**
     * Sets how long a killed exec (cancelled, timed out, or killed because the scheduler closes)
     * may take to end before the scheduler gives up on it: the task ends DONE and its room on the
     * alloc is freed although the exec may still run; default 30 s.
     *
     * @param killTimeout how long a killed exec may take to end; positive
     * @return this builder
     */
    public Builder killTimeout(Duration killTimeout) {
      options.killTimeout(killTimeout);
      return this;
    }

    /**
     * Sets the backoff after a failed allocation request: it starts at {@code initial} and doubles
     * with each failure in a row up to {@code max}; defaults 1 s and 1 minute.
     *
     * @param initial the backoff after the first failure; positive
     * @param max the longest backoff; at least {@code initial} (durations of 100 years or more
     *     count as equal)
     * @return this builder
     */
    public Builder allocBackoff(Duration initial, Duration max) {
      options.allocBackoff(initial, max);
      return this;
    }

    /**
     * Sets how long {@link Scheduler#close()} waits; default 1 minute.
     *
     * @param closeTimeout how long closing may take; positive
     * @return this builder
     */
    public Builder closeTimeout(Duration closeTimeout) {
      options.closeTimeout(closeTimeout);
      return this;
    }

    /**
     * Sets the clock and timers; default {@link TimeSource#system()}. Exists for tests and
     * simulations, which drive time by hand.
     *
     * @param timeSource the clock and timers
     * @return this builder
     */
    public Builder timeSource(TimeSource timeSource) {
      options.timeSource(timeSource);
      return this;
    }

    /**
     * Sets the executor for calls into allocs (start, keepalive, free, kill), which may block;
     * default a cached pool of daemon threads owned by the scheduler.
     *
     * @param executor runs the calls into allocs
     * @return this builder
     */
    public Builder executor(Executor executor) {
      options.executor(executor);
      return this;
    }

    /**
     * Sets the repository for tasks that name none: their inputs are read from it and their outputs
     * written to it. Default none: such a task may have no inputs, and its outputs are not copied
     * off its alloc.
     *
     * @param repository the repository of tasks that name none
     * @return this builder
     */
    public Builder repository(Repository repository) {
      options.repository(repository);
      return this;
    }

    /**
     * Sets the transferer that stages inputs onto allocs and outputs back; default one with 8
     * concurrent copies on the scheduler's executor.
     *
     * @param transferer copies inputs and outputs
     * @return this builder
     */
    public Builder transferer(Transferer transferer) {
      options.transferer(transferer);
      return this;
    }

    /**
     * Sets how many finished tasks, and how many gone allocs, {@link Scheduler#stats()} keeps, and
     * for how long; older ones are forgotten. Default 10,000 and one hour.
     *
     * @param maxCount how many of each are kept; not negative
     * @param maxAge how long each is kept; not negative
     * @return this builder
     */
    public Builder statsRetention(int maxCount, Duration maxAge) {
      options.statsRetention(maxCount, maxAge);
      return this;
    }

    /**
     * Sets whether the scheduler registers its MXBean ({@link SchedulerMXBean}) with the platform
     * MBean server while it is open; default true.
     *
     * @param register whether to register the MXBean
     * @return this builder
     */
    public Builder jmx(boolean register) {
      options.jmx(register);
      return this;
    }

    /**
     * Builds and starts the scheduler. The builder may be used again to build another.
     *
     * @return the running scheduler
     * @throws IllegalStateException if no cluster was set, or if options contradict each other:
     *     the max drain wait is shorter than the drain timeout, whether either was set or left at
     *     its default (durations of 100 years or more count as equal), or the min alloc was set to
     *     more than the cluster can ever give
     */
    public Scheduler build() {
      options.check();
      return new Scheduler(options);
    }
  }
}
