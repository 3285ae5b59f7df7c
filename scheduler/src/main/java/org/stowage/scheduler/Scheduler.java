package org.stowage.scheduler;

import static org.stowage.scheduler.internal.Checks.requireNotBlank;
import static org.stowage.scheduler.internal.Checks.requireNotNegative;
import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requireUnset;

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
import java.util.concurrent.atomic.AtomicInteger;
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

  private static final AtomicInteger NAMES = new AtomicInteger();

  private final String name;
  private final Engine engine;
  private final Duration closeTimeout;
  private final @Nullable Repository repository;
  private final @Nullable Jmx jmx;
  private final @Nullable ObjectName jmxName;

  /**
   * The default of every option of the {@link Builder}, in one place. Each setter's Javadoc and
   * README.md's Configuration table say the same; change all three together.
   */
  private static final class Defaults {
    static final Labels LABELS = Labels.empty();
    static final Duration DRAIN_TIMEOUT = Duration.ofMillis(50);
    static final Duration MAX_DRAIN_WAIT = Duration.ofMillis(500);
    static final Resources MIN_ALLOC = Resources.of(Resources.CPU, 1, Resources.MEM, Resources.GiB);
    static final int MAX_PENDING_ALLOCS = 5;
    static final Duration MAX_ALLOC_IDLE_TIME = Duration.ofMinutes(5);
    static final int MAX_LOST_ATTEMPTS = 3;
    static final int MAX_FAILED_ATTEMPTS = 1;
    static final Duration STARVATION_THRESHOLD = Duration.ofMinutes(1);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);
    static final Duration BACKOFF_INITIAL = Duration.ofSeconds(1);
    static final Duration BACKOFF_MAX = Duration.ofMinutes(1);
    static final Duration CLOSE_TIMEOUT = Duration.ofMinutes(1);
    static final int RETAIN_COUNT = 10_000;
    static final Duration RETAIN_AGE = Duration.ofHours(1);
    static final boolean JMX = true;

    private Defaults() {}
  }

  private Scheduler(Builder b, String name) {
    this.name = name;
    this.closeTimeout = or(b.closeTimeout, Defaults.CLOSE_TIMEOUT);
    this.repository = b.repository;
    this.engine = new Engine(new Engine.Config(
        name,
        Objects.requireNonNull(b.cluster),
        or(b.labels, Defaults.LABELS),
        or(b.drainTimeout, Defaults.DRAIN_TIMEOUT),
        or(b.maxDrainWait, Defaults.MAX_DRAIN_WAIT),
        or(b.minAlloc, Defaults.MIN_ALLOC),
        or(b.maxPendingAllocs, Defaults.MAX_PENDING_ALLOCS),
        or(b.maxAllocIdleTime, Defaults.MAX_ALLOC_IDLE_TIME),
        or(b.maxLostAttempts, Defaults.MAX_LOST_ATTEMPTS),
        or(b.maxFailedAttempts, Defaults.MAX_FAILED_ATTEMPTS),
        or(b.starvationThreshold, Defaults.STARVATION_THRESHOLD),
        or(b.keepaliveTimeout, Defaults.KEEPALIVE_TIMEOUT),
        or(b.killTimeout, Defaults.KILL_TIMEOUT),
        or(b.backoffInitial, Defaults.BACKOFF_INITIAL),
        or(b.backoffMax, Defaults.BACKOFF_MAX),
        or(b.timeSource, TimeSource.system()),
        b.executor,
        b.repository,
        b.transferer,
        or(b.retainCount, Defaults.RETAIN_COUNT),
        or(b.retainAge, Defaults.RETAIN_AGE)));
    if (or(b.jmx, Defaults.JMX)) {
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

  private static <T> T or(@Nullable T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  /**
   * Builds a {@link Scheduler}. Each option may be set once; {@link #cluster} is required.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private @Nullable String name;
    private @Nullable Cluster cluster;
    private @Nullable Labels labels;
    private @Nullable Duration drainTimeout;
    private @Nullable Duration maxDrainWait;
    private @Nullable Resources minAlloc;
    private @Nullable Integer maxPendingAllocs;
    private @Nullable Duration maxAllocIdleTime;
    private @Nullable Integer maxLostAttempts;
    private @Nullable Integer maxFailedAttempts;
    private @Nullable Duration starvationThreshold;
    private @Nullable Duration keepaliveTimeout;
    private @Nullable Duration killTimeout;
    private @Nullable Duration backoffInitial;
    private @Nullable Duration backoffMax;
    private @Nullable Duration closeTimeout;
    private @Nullable TimeSource timeSource;
    private @Nullable Executor executor;
    private @Nullable Repository repository;
    private @Nullable Transferer transferer;
    private @Nullable Integer retainCount;
    private @Nullable Duration retainAge;
    private @Nullable Boolean jmx;

    private Builder() {}

    /**
     * Sets a name, used in thread names, logs and messages; default {@code scheduler-N}.
     *
     * @param name the scheduler's name; not blank
     * @return this builder
     */
    public Builder name(String name) {
      requireUnset(this.name, "name");
      this.name = requireNotBlank(name, "name");
      return this;
    }

    /**
     * Sets where allocs come from. Required.
     *
     * @param cluster the cluster to allocate from
     * @return this builder
     */
    public Builder cluster(Cluster cluster) {
      requireUnset(this.cluster, "cluster");
      this.cluster = Objects.requireNonNull(cluster, "cluster");
      return this;
    }

    /**
     * Sets the labels passed to {@link Cluster#allocate}; default none.
     *
     * @param labels the labels for the cluster
     * @return this builder
     */
    public Builder labels(Labels labels) {
      requireUnset(this.labels, "labels");
      this.labels = Objects.requireNonNull(labels, "labels");
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
      requireUnset(this.drainTimeout, "drain timeout");
      this.drainTimeout = requireNotNegative(drainTimeout, "drain timeout");
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
      requireUnset(this.maxDrainWait, "max drain wait");
      this.maxDrainWait = requireNotNegative(maxDrainWait, "max drain wait");
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
      requireUnset(this.minAlloc, "min alloc");
      this.minAlloc = Objects.requireNonNull(minAlloc, "minAlloc");
      return this;
    }

    /**
     * Sets how many allocation requests may be in flight at once; default 5.
     *
     * @param maxPendingAllocs the most requests in flight; at least 1
     * @return this builder
     */
    public Builder maxPendingAllocs(int maxPendingAllocs) {
      requireUnset(this.maxPendingAllocs, "max pending allocs");
      this.maxPendingAllocs = requirePositive(maxPendingAllocs, "max pending allocs");
      return this;
    }

    /**
     * Sets how long an alloc may run no task before it is freed; default 5 minutes.
     *
     * @param maxAllocIdleTime how long an idle alloc is kept; not negative
     * @return this builder
     */
    public Builder maxAllocIdleTime(Duration maxAllocIdleTime) {
      requireUnset(this.maxAllocIdleTime, "max alloc idle time");
      this.maxAllocIdleTime = requireNotNegative(maxAllocIdleTime, "max alloc idle time");
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
      requireUnset(this.maxLostAttempts, "max lost attempts");
      this.maxLostAttempts = requirePositive(maxLostAttempts, "max lost attempts");
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
      requireUnset(this.maxFailedAttempts, "max failed attempts");
      this.maxFailedAttempts = requirePositive(maxFailedAttempts, "max failed attempts");
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
      requireUnset(this.starvationThreshold, "starvation threshold");
      this.starvationThreshold = requireNotNegative(starvationThreshold, "starvation threshold");
      return this;
    }

    /**
     * Sets how long a keepalive may take before the alloc counts as dead; default 30 s.
     *
     * @param keepaliveTimeout how long a keepalive may take; positive
     * @return this builder
     */
    public Builder keepaliveTimeout(Duration keepaliveTimeout) {
      requireUnset(this.keepaliveTimeout, "keepalive timeout");
      this.keepaliveTimeout = requirePositive(keepaliveTimeout, "keepalive timeout");
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
      requireUnset(this.killTimeout, "kill timeout");
      this.killTimeout = requirePositive(killTimeout, "kill timeout");
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
      requireUnset(this.backoffInitial, "alloc backoff");
      requirePositive(initial, "initial alloc backoff");
      requirePositive(max, "max alloc backoff");
      if (Durations.compare(max, initial) < 0) {
        throw new IllegalArgumentException(
            "max alloc backoff must be >= initial (" + initial + ") but was " + max);
      }
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * Sets how long {@link Scheduler#close()} waits; default 1 minute.
     *
     * @param closeTimeout how long closing may take; positive
     * @return this builder
     */
    public Builder closeTimeout(Duration closeTimeout) {
      requireUnset(this.closeTimeout, "close timeout");
      this.closeTimeout = requirePositive(closeTimeout, "close timeout");
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
      requireUnset(this.timeSource, "time source");
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
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
      requireUnset(this.executor, "executor");
      this.executor = Objects.requireNonNull(executor, "executor");
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
      requireUnset(this.repository, "repository");
      this.repository = Objects.requireNonNull(repository, "repository");
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
      requireUnset(this.transferer, "transferer");
      this.transferer = Objects.requireNonNull(transferer, "transferer");
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
      requireUnset(this.retainCount, "stats retention");
      if (maxCount < 0) {
        throw new IllegalArgumentException("stats retention count must be >= 0 but was " + maxCount);
      }
      this.retainCount = maxCount;
      this.retainAge = requireNotNegative(maxAge, "stats retention age");
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
      requireUnset(this.jmx, "jmx");
      this.jmx = register;
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
      Cluster c = cluster;
      if (c == null) {
        throw new IllegalStateException("cluster must be set");
      }
      checkDrain();
      checkMinAlloc(c);
      return new Scheduler(this, name != null ? name : "scheduler-" + NAMES.incrementAndGet());
    }

    /**
     * Refuses a min alloc the cluster can never give, which the engine would otherwise drop
     * silently from every request. The default is not checked: it is a floor, not a choice.
     */
    private void checkMinAlloc(Cluster c) {
      Resources min = minAlloc;
      if (min == null) {
        return;
      }
      Admission admission = Objects.requireNonNull(c.canAllocate(min), "admission");
      if (!admission.possible()) {
        throw new IllegalStateException("min alloc must be an alloc the cluster can give but was "
            + min + " (" + admission.reason() + "): lower minAlloc");
      }
    }

    /**
     * Refuses a max drain wait shorter than the drain timeout, which the engine would otherwise
     * apply silently: every burst would end at the max drain wait.
     */
    private void checkDrain() {
      Duration drain = or(drainTimeout, Defaults.DRAIN_TIMEOUT);
      Duration maxWait = or(maxDrainWait, Defaults.MAX_DRAIN_WAIT);
      if (Durations.compare(maxWait, drain) >= 0) {
        return;
      }
      if (maxDrainWait == null) {
        throw new IllegalStateException("drain timeout must be <= max drain wait (" + maxWait
            + " by default) but was " + drain + ": raise maxDrainWait too, to at least " + drain);
      }
      if (drainTimeout == null) {
        throw new IllegalStateException("max drain wait must be >= drain timeout (" + drain
            + " by default) but was " + maxWait + ": lower drainTimeout too, to at most "
            + maxWait);
      }
      throw new IllegalStateException("max drain wait must be >= drain timeout (" + drain
          + ") but was " + maxWait);
    }
  }
}
