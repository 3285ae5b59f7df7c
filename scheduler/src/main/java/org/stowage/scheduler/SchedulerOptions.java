package org.stowage.scheduler;

import static org.stowage.scheduler.internal.Checks.requireNotBlank;
import static org.stowage.scheduler.internal.Checks.requireNotNegative;
import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requireUnset;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.internal.Durations;
import org.stowage.scheduler.internal.Engine;

/**
 * The options behind a {@link Scheduler.Builder}: what was set, each once and checked as it is
 * set; the default of every option left unset; the checks across options that {@code build()}
 * makes; and the engine's settings they all come to. Each setter here is the builder's setter of
 * the same name, whose Javadoc says what it means.
 *
 * <p>Thread-safety: not thread-safe, like the builder it serves.
 */
final class SchedulerOptions {

  private static final AtomicInteger NAMES = new AtomicInteger();

  /**
   * The default of every option, in one place. Each setter's Javadoc on {@link Scheduler.Builder}
   * and README.md's Configuration table say the same; change all three together. Unset, the name
   * is {@code scheduler-N}, the time source {@link TimeSource#system()}, and there is no executor,
   * repository or transferer: the engine makes its own.
   */
  private static final class Defaults {
    static final Labels LABELS = Labels.empty();
    static final Duration DRAIN_TIMEOUT = Duration.ofMillis(50);
    static final Duration MAX_DRAIN_WAIT = Duration.ofMillis(500);
    static final Resources MIN_ALLOC = Resources.of(Resources.CPU, 1, Resources.MEM, Resources.GiB);
    static final int MAX_PENDING_ALLOCS = 1_000;
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

  // ---------------------------------------------------------------- setters, as the builder's

  void name(String name) {
    requireUnset(this.name, "name");
    this.name = requireNotBlank(name, "name");
  }

  void cluster(Cluster cluster) {
    requireUnset(this.cluster, "cluster");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
  }

  void labels(Labels labels) {
    requireUnset(this.labels, "labels");
    this.labels = Objects.requireNonNull(labels, "labels");
  }

  void drainTimeout(Duration drainTimeout) {
    requireUnset(this.drainTimeout, "drain timeout");
    this.drainTimeout = requireNotNegative(drainTimeout, "drain timeout");
  }

  void maxDrainWait(Duration maxDrainWait) {
    requireUnset(this.maxDrainWait, "max drain wait");
    this.maxDrainWait = requireNotNegative(maxDrainWait, "max drain wait");
  }

  void minAlloc(Resources minAlloc) {
    requireUnset(this.minAlloc, "min alloc");
    this.minAlloc = Objects.requireNonNull(minAlloc, "minAlloc");
  }

  void maxPendingAllocs(int maxPendingAllocs) {
    requireUnset(this.maxPendingAllocs, "max pending allocs");
    this.maxPendingAllocs = requirePositive(maxPendingAllocs, "max pending allocs");
  }

  void maxAllocIdleTime(Duration maxAllocIdleTime) {
    requireUnset(this.maxAllocIdleTime, "max alloc idle time");
    this.maxAllocIdleTime = requireNotNegative(maxAllocIdleTime, "max alloc idle time");
  }

  void maxLostAttempts(int maxLostAttempts) {
    requireUnset(this.maxLostAttempts, "max lost attempts");
    this.maxLostAttempts = requirePositive(maxLostAttempts, "max lost attempts");
  }

  void maxFailedAttempts(int maxFailedAttempts) {
    requireUnset(this.maxFailedAttempts, "max failed attempts");
    this.maxFailedAttempts = requirePositive(maxFailedAttempts, "max failed attempts");
  }

  void starvationThreshold(Duration starvationThreshold) {
    requireUnset(this.starvationThreshold, "starvation threshold");
    this.starvationThreshold = requireNotNegative(starvationThreshold, "starvation threshold");
  }

  void keepaliveTimeout(Duration keepaliveTimeout) {
    requireUnset(this.keepaliveTimeout, "keepalive timeout");
    this.keepaliveTimeout = requirePositive(keepaliveTimeout, "keepalive timeout");
  }

  void killTimeout(Duration killTimeout) {
    requireUnset(this.killTimeout, "kill timeout");
    this.killTimeout = requirePositive(killTimeout, "kill timeout");
  }

  void allocBackoff(Duration initial, Duration max) {
    requireUnset(this.backoffInitial, "alloc backoff");
    requirePositive(initial, "initial alloc backoff");
    requirePositive(max, "max alloc backoff");
    if (Durations.compare(max, initial) < 0) {
      throw new IllegalArgumentException(
          "max alloc backoff must be >= initial (" + initial + ") but was " + max);
    }
    this.backoffInitial = initial;
    this.backoffMax = max;
  }

  void closeTimeout(Duration closeTimeout) {
    requireUnset(this.closeTimeout, "close timeout");
    this.closeTimeout = requirePositive(closeTimeout, "close timeout");
  }

  void timeSource(TimeSource timeSource) {
    requireUnset(this.timeSource, "time source");
    this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
  }

  void executor(Executor executor) {
    requireUnset(this.executor, "executor");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  void repository(Repository repository) {
    requireUnset(this.repository, "repository");
    this.repository = Objects.requireNonNull(repository, "repository");
  }

  void transferer(Transferer transferer) {
    requireUnset(this.transferer, "transferer");
    this.transferer = Objects.requireNonNull(transferer, "transferer");
  }

  void statsRetention(int maxCount, Duration maxAge) {
    requireUnset(this.retainCount, "stats retention");
    if (maxCount < 0) {
      throw new IllegalArgumentException("stats retention count must be >= 0 but was " + maxCount);
    }
    this.retainCount = maxCount;
    this.retainAge = requireNotNegative(maxAge, "stats retention age");
  }

  void jmx(boolean register) {
    requireUnset(this.jmx, "jmx");
    this.jmx = register;
  }

  // ---------------------------------------------------------------- build

  /**
   * Refuses options that cannot build a scheduler: no cluster, or options that contradict each
   * other; see {@link Scheduler.Builder#build()}.
   */
  void check() {
    Cluster c = cluster;
    if (c == null) {
      throw new IllegalStateException("cluster must be set");
    }
    checkDrain();
    checkMinAlloc(c);
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

  /** Returns the name set, or a new {@code scheduler-N}; once per scheduler built. */
  String newName() {
    return name != null ? name : "scheduler-" + NAMES.incrementAndGet();
  }

  /** Returns how long {@code Scheduler.close()} waits. */
  Duration closeTimeout() {
    return or(closeTimeout, Defaults.CLOSE_TIMEOUT);
  }

  /** Returns the repository of tasks that name none, or null. */
  @Nullable Repository repository() {
    return repository;
  }

  /** Returns whether the scheduler registers its MXBean. */
  boolean jmx() {
    return or(jmx, Defaults.JMX);
  }

  /**
   * Returns the engine's settings: what was set, and the defaults of the rest. Call after
   * {@link #check()}.
   */
  Engine.Config engineConfig(String schedulerName) {
    return new Engine.Config(
        schedulerName,
        Objects.requireNonNull(cluster),
        or(labels, Defaults.LABELS),
        or(drainTimeout, Defaults.DRAIN_TIMEOUT),
        or(maxDrainWait, Defaults.MAX_DRAIN_WAIT),
        or(minAlloc, Defaults.MIN_ALLOC),
        or(maxPendingAllocs, Defaults.MAX_PENDING_ALLOCS),
        or(maxAllocIdleTime, Defaults.MAX_ALLOC_IDLE_TIME),
        or(maxLostAttempts, Defaults.MAX_LOST_ATTEMPTS),
        or(maxFailedAttempts, Defaults.MAX_FAILED_ATTEMPTS),
        or(starvationThreshold, Defaults.STARVATION_THRESHOLD),
        or(keepaliveTimeout, Defaults.KEEPALIVE_TIMEOUT),
        or(killTimeout, Defaults.KILL_TIMEOUT),
        or(backoffInitial, Defaults.BACKOFF_INITIAL),
        or(backoffMax, Defaults.BACKOFF_MAX),
        or(timeSource, TimeSource.system()),
        executor,
        repository,
        transferer,
        or(retainCount, Defaults.RETAIN_COUNT),
        or(retainAge, Defaults.RETAIN_AGE));
  }

  private static <T> T or(@Nullable T value, T otherwise) {
    return value != null ? value : otherwise;
  }
}
