package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;
import org.stowage.repository.RepositoryException;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.TimeSource;

/**
 * Copies a task's files between repositories (its inputs onto an alloc, its outputs back), trying
 * again, with backoff, while a repository is unavailable. Not API.
 *
 * <p>Thread-safety: thread-safe; the copies run on the transferer's executor and the retries on
 * the time source's timers.
 */
final class Transfers {

  private static final System.Logger LOG = System.getLogger(Transfers.class.getName());

  /** How often a transfer is tried while a repository is unavailable. */
  static final int TRIES = 5;
  /** The wait after the first unavailable try; it doubles after each. */
  static final Duration BACKOFF = Duration.ofMillis(200);

  private final Transferer transferer;
  private final TimeSource time;

  Transfers(Transferer transferer, TimeSource time) {
    this.transferer = transferer;
    this.time = time;
  }

  /**
   * Copies the objects of {@code files} from {@code src} to {@code dst}, up to {@link #TRIES}
   * tries while the repositories are unavailable.
   *
   * @param what what the copy is for, for the log
   * @return a future that completes when the objects are there, or fails with the last error
   */
  CompletableFuture<Void> copy(Repository src, Repository dst, Fileset files, String what) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    copy(src, dst, files, what, 1, done);
    return done;
  }

  private void copy(Repository src, Repository dst, Fileset files, String what, int tryNo,
      CompletableFuture<Void> done) {
    CompletableFuture<?> f;
    try {
      f = transferer.transfer(src, dst, files.digests());
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((report, e) -> {
      Throwable cause = Failures.unwrap(e);
      if (cause == null) {
        done.complete(null);
      } else if (cause instanceof RepositoryException re
          && re.kind() == RepositoryException.Kind.UNAVAILABLE && tryNo < TRIES) {
        Duration wait = BACKOFF.multipliedBy(1L << (tryNo - 1));
        LOG.log(Level.INFO, () -> what + ": " + cause.getMessage() + "; retrying in " + wait);
        time.schedule(wait, () -> copy(src, dst, files, what, tryNo + 1, done));
      } else {
        done.completeExceptionally(cause);
      }
    });
  }

  /** Drops what the transferer remembers of {@code repository}'s objects. */
  void forget(Repository repository) {
    transferer.forget(repository);
  }
}
