package org.stowage.scheduler.internal;

/**
 * The engine's running totals. Not API.
 *
 * <p>Concurrency: the fields are written by the engine thread only; at the end of each batch of
 * events the engine publishes an immutable {@link Snapshot} through a volatile field, so a reader
 * on any thread sees totals that agree with each other.
 */
public final class Counters {

  Counters() {}

  long submitted;
  long succeeded;
  long failed;
  long cancelled;
  long attemptsLost;
  long attemptsFailed;
  long allocsRequested;
  long allocsFailed;
  long allocsLive;
  long allocsDead;
  long allocsFreedIdle;

  private volatile Snapshot published = new Snapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  void publish(int waiting, int pendingAllocs) {
    Snapshot s = new Snapshot(submitted, succeeded, failed, cancelled, waiting, attemptsLost,
        attemptsFailed, allocsRequested, allocsFailed, pendingAllocs, allocsLive, allocsDead,
        allocsFreedIdle);
    if (!s.equals(published)) {
      published = s;
    }
  }

  Snapshot published() {
    return published;
  }

  /** The totals at one moment. */
  public record Snapshot(
      long submitted,
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
}
