package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Requirements;

/**
 * An allocation request in flight, credited with all it asked for. The waiting tasks counted on it
 * are its members, and what they leave of the credit is its remaining room. Not API.
 *
 * <p>Concurrency: owned by the engine's thread.
 */
final class PendingAlloc {
  final long seq;
  final Requirements req;
  final double[] credit;
  /** The credit less the needs of the members that still count on it. */
  final double[] remaining;
  /** The tasks counted on it; a member whose {@code nominee} is no longer this no longer counts. */
  final List<TaskRecord> members = new ArrayList<>();
  @Nullable CompletableFuture<Alloc> future;

  PendingAlloc(long seq, Requirements req, double[] credit) {
    this.seq = seq;
    this.req = req;
    this.credit = credit;
    this.remaining = credit.clone();
  }

  @Override
  public String toString() {
    return "request #" + seq + " " + req;
  }
}
