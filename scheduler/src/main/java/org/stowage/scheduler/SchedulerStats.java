package org.stowage.scheduler;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a scheduler knows, at one moment: running totals, its allocs and its tasks. Taken with
 * {@link Scheduler#stats()}; also exported over JMX and as JSON ({@link #toJson()}).
 *
 * <p>A snapshot is of one instant: the end of one batch of the scheduler's events. The counts
 * agree with each other (the tasks in each state add up to the tasks submitted), and each alloc
 * and each task is listed once, in the state it had at that instant. Finished tasks and gone allocs are kept within the scheduler's
 * {@linkplain Scheduler.Builder#statsRetention retention} (count and age), not forever.
 *
 * <p>Thread-safety: immutable.
 *
 * @param scheduler the scheduler's name
 * @param counts the running totals
 * @param allocs the live allocs, then the retained dead and freed ones
 * @param tasks the tasks not yet done, then the retained finished ones
 */
public record SchedulerStats(
    String scheduler, Counts counts, List<AllocStats> allocs, List<TaskStats> tasks) {

  /**
   * Validates and copies the fields.
   *
   * @param scheduler the scheduler's name
   * @param counts the running totals
   * @param allocs the live allocs, then the retained dead and freed ones
   * @param tasks the tasks not yet done, then the retained finished ones
   */
  public SchedulerStats {
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(counts, "counts");
    allocs = List.copyOf(allocs);
    tasks = List.copyOf(tasks);
  }

  /**
   * Returns the snapshot as JSON, in the format documented in the README ("Stats as JSON").
   *
   * @return the JSON text
   */
  public String toJson() {
    return StatsJson.write(this);
  }

  /**
   * Reads a snapshot written by {@link #toJson()}.
   *
   * @param json text written by {@link #toJson()}
   * @return the snapshot
   * @throws IllegalArgumentException if the text is not such a snapshot
   */
  public static SchedulerStats fromJson(String json) {
    return StatsJson.read(json);
  }

  /**
   * The running totals of a scheduler. The tasks in INIT, STAGING, RUNNING, LOST and DONE add up
   * to {@code submitted}; {@code succeeded + failed + cancelled = done}.
   *
   * @param submitted tasks submitted
   * @param init tasks waiting to be placed (including those still being gathered by the drain)
   * @param staging tasks whose inputs are being staged onto their alloc
   * @param running tasks running
   * @param lost tasks whose alloc just died (they move on to INIT or DONE at once)
   * @param done tasks finished
   * @param succeeded tasks done with a result
   * @param failed tasks done with an error other than cancellation
   * @param cancelled tasks done because they were cancelled
   * @param waiting tasks in the scheduler's queue (INIT tasks it has accepted)
   * @param attemptsLost attempts lost with their alloc
   * @param attemptsFailed attempts that failed (non-zero exit, exec error)
   * @param allocsRequested allocation requests made
   * @param allocsFailed allocation requests the cluster refused
   * @param allocsPending allocation requests in flight
   * @param allocsLive allocs up and taking tasks
   * @param allocsDead allocs that died
   * @param allocsFreedIdle allocs freed after sitting idle
   */
  public record Counts(
      long submitted,
      long init,
      long staging,
      long running,
      long lost,
      long done,
      long succeeded,
      long failed,
      long cancelled,
      long waiting,
      long attemptsLost,
      long attemptsFailed,
      long allocsRequested,
      long allocsFailed,
      long allocsPending,
      long allocsLive,
      long allocsDead,
      long allocsFreedIdle) {}

  /** Where an alloc is in its life. */
  public enum AllocState {
    /** Up and taking tasks. */
    LIVE,
    /** Its keepalive failed; its tasks were lost. */
    DEAD,
    /** Freed by the scheduler: idle too long, or the scheduler closed. */
    FREED
  }

  /**
   * One alloc.
   *
   * @param id the alloc's id
   * @param state live, dead or freed
   * @param capacity its resources
   * @param free what no task holds, per resource
   * @param tasks the ids of the attempts placed on it
   * @param ageSeconds how long since it came up
   * @param idleSeconds how long it has run no task (0 while busy)
   */
  public record AllocStats(
      String id,
      AllocState state,
      Resources capacity,
      Resources free,
      List<String> tasks,
      double ageSeconds,
      double idleSeconds) {

    /**
     * Validates and copies the fields.
     *
     * @param id the alloc's id
     * @param state live, dead or freed
     * @param capacity its resources
     * @param free what no task holds, per resource
     * @param tasks the ids of the attempts placed on it
     * @param ageSeconds how long since it came up
     * @param idleSeconds how long it has run no task (0 while busy)
     */
    public AllocStats {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(capacity, "capacity");
      Objects.requireNonNull(free, "free");
      tasks = List.copyOf(tasks);
    }
  }

  /**
   * One task.
   *
   * @param key the task's key ({@link Task#key()})
   * @param name the task's name
   * @param id the current attempt's id
   * @param attempt the current attempt, from 0
   * @param state the current state
   * @param resources what it needs
   * @param alloc the alloc of the current attempt, while placed
   * @param waiting why it waits, while INIT
   * @param errorKind why it failed, once DONE without success
   * @param error the failure's message, once DONE without success
   * @param secondsInState how long it has been in its current state
   */
  public record TaskStats(
      String key,
      String name,
      String id,
      int attempt,
      State state,
      Resources resources,
      @Nullable String alloc,
      @Nullable WaitReason waiting,
      TaskException.@Nullable Kind errorKind,
      @Nullable String error,
      double secondsInState) {

    /**
     * Validates the fields.
     *
     * @param key the task's key ({@link Task#key()})
     * @param name the task's name
     * @param id the current attempt's id
     * @param attempt the current attempt, from 0
     * @param state the current state
     * @param resources what it needs
     * @param alloc the alloc of the current attempt, while placed
     * @param waiting why it waits, while INIT
     * @param errorKind why it failed, once DONE without success
     * @param error the failure's message, once DONE without success
     * @param secondsInState how long it has been in its current state
     */
    public TaskStats {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(resources, "resources");
    }
  }
}
