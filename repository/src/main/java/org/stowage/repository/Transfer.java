package org.stowage.repository;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * One call to {@link Transferer#transfer}: the copies it waits for, its counts and the future of
 * its report. Not API.
 *
 * <p>Thread-safe: guards its counts and its list of awaited copies with its monitor, which is
 * not held while completing a future or calling a copy.
 */
final class Transfer {
  final Repository src;
  final Repository dst;
  final CompletableFuture<TransferReport> result = new CompletableFuture<>();
  // Guarded by this.
  private long copied;
  private long bytes;
  private long skipped;
  private int pending = 1; // copies awaited, plus one until set up
  private boolean released;
  private final List<Transferer.Copy> awaited = new ArrayList<>();

  Transfer(Repository src, Repository dst) {
    this.src = src;
    this.dst = dst;
    result.whenComplete((report, failure) -> releaseAll());
  }

  synchronized void skipped() {
    skipped++;
  }

  /** Waits for {@code copy}, which this transfer has joined; started if this transfer made it. */
  void await(Transferer.Copy copy, boolean started) {
    boolean release;
    synchronized (this) {
      release = released;
      if (!release) {
        awaited.add(copy);
        pending++;
      }
    }
    if (release) {
      copy.release();
      return;
    }
    copy.future.whenComplete((n, failure) -> {
      if (failure != null) {
        result.completeExceptionally(unwrap(failure));
        return;
      }
      synchronized (this) {
        if (started) {
          copied++;
          bytes += n;
        } else {
          skipped++;
        }
      }
      settle();
    });
  }

  /** One awaited thing (a copy, or the setting up) is over; the last completes the report. */
  void settle() {
    @Nullable TransferReport report = null;
    synchronized (this) {
      if (--pending == 0) {
        report = new TransferReport(copied, bytes, skipped);
      }
    }
    if (report != null) {
      result.complete(report);
    }
  }

  /** The result is settled: let go of every copy, cancelling those nobody else waits for. */
  private void releaseAll() {
    List<Transferer.Copy> copies;
    synchronized (this) {
      released = true;
      copies = List.copyOf(awaited);
      awaited.clear();
    }
    copies.forEach(Transferer.Copy::release);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
