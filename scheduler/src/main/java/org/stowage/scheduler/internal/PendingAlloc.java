package org.stowage.scheduler.internal;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Requirements;

/**
 * An allocation request in flight, credited with all it asked for. Not API.
 *
 * <p>Concurrency: owned by the engine's thread.
 */
final class PendingAlloc {
  final long seq;
  final Requirements req;
  final double[] credit;
  @Nullable CompletableFuture<Alloc> future;

  PendingAlloc(long seq, Requirements req, double[] credit) {
    this.seq = seq;
    this.req = req;
    this.credit = credit;
  }

  @Override
  public String toString() {
    return "request #" + seq + " " + req;
  }
}
