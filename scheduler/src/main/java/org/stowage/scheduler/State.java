package org.stowage.scheduler;

/**
 * The states of a {@link Task}, in the order an attempt goes through them.
 *
 * <pre>
 *   INIT ──▶ STAGING ──▶ RUNNING ──▶ DONE
 *     │         │           │
 *     │         └─────┬─────┘
 *     │               ▼
 *     │             LOST ──▶ INIT (attempt + 1), or DONE once lost too many times
 *     └──────────────────────▶ DONE (cancelled, unsatisfiable, scheduler closed)
 * </pre>
 *
 * <p>A failed attempt (the command exits non-zero or its exec fails) also goes back to INIT with
 * attempt + 1 while the failed-attempt cap allows. See {@link Task#await(State)} for what waiting
 * on a state means when a task goes back to INIT.
 */
public enum State {
  /** Waiting in the scheduler's queue for room on an alloc. */
  INIT,
  /** Placed on an alloc; its inputs are being transferred there. */
  STAGING,
  /** Its command is running on the alloc. */
  RUNNING,
  /** Its alloc died under it; it will be queued again as a new attempt, or fail. */
  LOST,
  /** Finished: with a result, or with an error saying why. Final. */
  DONE
}
