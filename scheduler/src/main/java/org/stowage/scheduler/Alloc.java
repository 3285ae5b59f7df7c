package org.stowage.scheduler;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.stowage.repository.Repository;

/**
 * A resource allocation from a {@link Cluster}: a slice of compute that runs execs until it is
 * freed or dies (service provider interface).
 *
 * <p>Thread-safety: implementations must be thread-safe. The scheduler calls them from its I/O
 * executor, never from its scheduling thread, so a call may block for a short while; several calls
 * may be in flight at once.
 */
public interface Alloc {

  /**
   * Returns an id unique within the cluster, for logs and stats.
   *
   * @return the alloc's id
   */
  String id();

  /**
   * Returns the capacity of this alloc. Must not change; the scheduler places tasks so that the
   * sum of their resources stays within it.
   *
   * @return the alloc's capacity
   */
  Resources resources();

  /**
   * Returns the repository on the alloc's side: the scheduler copies a task's missing inputs into it
   * before {@link #start}, and copies the exec's outputs out of it afterwards. Must not change.
   *
   * @return the alloc's repository
   */
  Repository repository();

  /**
   * Starts one attempt of a task. Every object of {@link ExecRequest#inputs()} is already in
   * {@link #repository()}.
   *
   * @param request the attempt to start: its id, config, resources and inputs
   * @return the running exec
   * @throws AllocLostException if the alloc is gone (the task is then LOST and the alloc dead)
   * @throws RuntimeException for any other failure, which counts as a failed attempt
   */
  Exec start(ExecRequest request);

  /**
   * Renews the lease on this alloc. The future completes with how long the scheduler may wait
   * before the next call, or exceptionally if the alloc is dead (its tasks are then LOST and
   * run again elsewhere). Implementations should retry transient errors themselves; a call that
   * has not completed within the scheduler's keepalive timeout also counts as dead.
   *
   * @return a future of how long the scheduler may wait before the next call
   */
  CompletableFuture<Duration> keepalive();

  /**
   * Releases the alloc and kills whatever still runs on it. Idempotent: the scheduler calls it once
   * for every alloc it got, even one that died, and may call it again while shutting down.
   *
   * @return a future that completes once the alloc is released
   */
  CompletableFuture<Void> free();
}
