package org.stowage.scheduler;

import javax.management.openmbean.TabularData;

/**
 * The JMX view of a scheduler, registered as {@code org.stowage:type=Scheduler,name=<name>} while
 * the scheduler is open. Every attribute is an open type, so JConsole, VisualVM or any JMX client
 * reads it without Stowage's classes.
 *
 * <p>The counters are those of {@link SchedulerStats.Counts}. {@code Allocs} is a table keyed by
 * {@code id} with columns {@code id, state, capacity, free, tasks, ageSeconds, idleSeconds}, where
 * {@code capacity} and {@code free} are tables of {@code resource, amount} and {@code tasks} an
 * array of attempt ids. {@code Tasks} is a table keyed by {@code key} with columns
 * {@code key, name, id, attempt, state, resources, alloc, waiting, errorKind, error,
 * secondsInState} (absent values are empty strings). {@code Json} is the whole snapshot as JSON.
 *
 * <p>Thread-safety: every getter takes a fresh snapshot; safe from any thread.
 */
public interface SchedulerMXBean {
  /**
   * Returns the scheduler's name.
   *
   * @return its name
   */
  String getName();

  /**
   * Returns the tasks submitted.
   *
   * @return the number of tasks submitted
   */
  long getTasksSubmitted();

  /**
   * Returns the tasks in INIT.
   *
   * @return the number of tasks in INIT
   */
  long getTasksInit();

  /**
   * Returns the tasks in STAGING.
   *
   * @return the number of tasks in STAGING
   */
  long getTasksStaging();

  /**
   * Returns the tasks in RUNNING.
   *
   * @return the number of tasks in RUNNING
   */
  long getTasksRunning();

  /**
   * Returns the tasks in LOST.
   *
   * @return the number of tasks in LOST
   */
  long getTasksLost();

  /**
   * Returns the tasks in DONE.
   *
   * @return the number of tasks in DONE
   */
  long getTasksDone();

  /**
   * Returns the tasks done with a result.
   *
   * @return the number of tasks done with a result
   */
  long getTasksSucceeded();

  /**
   * Returns the tasks done with an error other than cancellation.
   *
   * @return the number of tasks done with an error other than cancellation
   */
  long getTasksFailed();

  /**
   * Returns the tasks done because they were cancelled.
   *
   * @return the number of tasks done because they were cancelled
   */
  long getTasksCancelled();

  /**
   * Returns the tasks waiting in the queue.
   *
   * @return the number of tasks waiting in the queue
   */
  long getTasksWaiting();

  /**
   * Returns the attempts lost with their alloc.
   *
   * @return the number of attempts lost with their alloc
   */
  long getAttemptsLost();

  /**
   * Returns the attempts that failed.
   *
   * @return the number of attempts that failed
   */
  long getAttemptsFailed();

  /**
   * Returns the allocation requests made.
   *
   * @return the number of allocation requests made
   */
  long getAllocsRequested();

  /**
   * Returns the allocation requests refused.
   *
   * @return the number of allocation requests refused
   */
  long getAllocsFailed();

  /**
   * Returns the allocation requests in flight.
   *
   * @return the number of allocation requests in flight
   */
  long getAllocsPending();

  /**
   * Returns the allocs up.
   *
   * @return the number of allocs up
   */
  long getAllocsLive();

  /**
   * Returns the allocs that died.
   *
   * @return the number of allocs that died
   */
  long getAllocsDead();

  /**
   * Returns the allocs freed after sitting idle.
   *
   * @return the number of allocs freed after sitting idle
   */
  long getAllocsFreedIdle();

  /**
   * Returns the live allocs, then the retained gone ones.
   *
   * @return a table with a row per alloc
   */
  TabularData getAllocs();

  /**
   * Returns the tasks not yet done, then the retained finished ones.
   *
   * @return a table with a row per task
   */
  TabularData getTasks();

  /**
   * Returns the whole snapshot as JSON.
   *
   * @return the snapshot as a JSON object
   */
  String getJson();
}
