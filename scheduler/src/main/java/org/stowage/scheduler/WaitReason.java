package org.stowage.scheduler;

/** Why a task in {@link State#INIT} is still waiting, as data ({@link TaskStatus#waiting()}). */
public enum WaitReason {
  /** Submitted; the scheduler is gathering a burst of submissions before it packs them. */
  DRAINING,
  /** In the queue; no scheduling pass has looked at it yet. */
  QUEUED,
  /** No live alloc has room; an allocation request that can hold it is in flight. */
  ALLOC_PENDING,
  /** No live alloc has room and the maximum number of allocation requests is already out. */
  PENDING_LIMIT,
  /** The cluster refused a recent request; the scheduler waits before asking again. */
  BACKING_OFF,
  /**
   * The task waited past the starvation threshold: it holds an alloc that no other task may take
   * until enough of it is free.
   */
  RESERVED
}
