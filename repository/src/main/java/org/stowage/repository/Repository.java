package org.stowage.repository;

import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A content-addressed store of objects: byte strings named by their {@link Digest}.
 *
 * <p>An object, once put, never changes: its name is its content. Putting the same bytes twice
 * stores one object. There is no delete in this interface; removing objects is each store's own
 * business.
 *
 * <p><b>Thread safety.</b> Implementations must be safe for concurrent use by any number of
 * threads, including concurrent puts of the same object.
 *
 * <p><b>Errors.</b> Every method reports failures as {@link RepositoryException} (unchecked),
 * whose {@link RepositoryException#kind() kind} says what the caller can do: {@code NOT_FOUND}
 * (no such object), {@code CORRUPT} (the bytes do not match the digest; nothing is accepted or
 * returned as good), {@code UNAVAILABLE} (I/O or connectivity; may be transient, retry with
 * backoff). Bad arguments (null) are programming errors: {@link NullPointerException}.
 *
 * <p><b>Blocking.</b> The plain methods block the calling thread on I/O. The {@code ...Async}
 * variants run them on an executor the caller chooses; a remote implementation may override
 * them to avoid holding a thread.
 */
public interface Repository {
  /**
   * A stable, human-readable identity, for example {@code file:/var/lib/stowage}. Two instances
   * with the same name must hold the same objects: callers use it in messages and as a cache key
   * (see {@link Transferer}).
   *
   * @return the repository's name; never changes
   */
  String name();

  /**
   * Returns the size of an object. Read-only, idempotent.
   *
   * @param digest the object
   * @return its size in bytes
   * @throws RepositoryException {@code NOT_FOUND} if the object is not there; {@code UNAVAILABLE}
   *     if the repository cannot tell
   */
  long stat(Digest digest);

  /**
   * Opens an object for reading. Read-only, idempotent.
   *
   * <p>The stream verifies the bytes while they are read: the read that reaches the end throws
   * {@link RepositoryException} of kind {@code CORRUPT} (instead of returning -1) if the bytes do
   * not match {@code digest}. A caller that needs the guarantee must read to the end. Other read
   * failures are {@link java.io.IOException}s. The caller must close the stream; it is not
   * thread-safe.
   *
   * @param digest the object
   * @return a stream of the object's bytes
   * @throws RepositoryException {@code NOT_FOUND} if the object is not there; {@code UNAVAILABLE}
   *     if it cannot be opened
   */
  InputStream get(Digest digest);

  /**
   * Stores the bytes {@code in} yields until end of stream and returns their digest, computed
   * while writing; no caller's claim about the content is trusted. Idempotent: putting bytes
   * that are already there returns the same digest and keeps one object.
   *
   * <p>The object becomes visible (to {@link #stat}, {@link #get}, {@link #missing}) only once it
   * is complete. If the put fails, nothing is stored. A {@link RepositoryException} thrown by
   * {@code in} (for example a {@code CORRUPT} from another repository's verifying stream) aborts
   * the put and propagates unchanged. Does not close {@code in}.
   *
   * @param in the object's bytes
   * @return the object's digest
   * @throws RepositoryException {@code UNAVAILABLE} if reading {@code in} or writing the object
   *     fails with an I/O error
   */
  Digest put(InputStream in);

  /**
   * Returns which of {@code digests} are not in the repository. Read-only, idempotent.
   *
   * @param digests the objects to look for; duplicates are allowed
   * @return those of {@code digests} that are absent, unmodifiable, in the order first given
   * @throws RepositoryException {@code UNAVAILABLE} if the repository cannot tell
   */
  Set<Digest> missing(Collection<Digest> digests);

  /**
   * Runs {@link #stat(Digest)} on {@code executor}. Cancelling the future before the call
   * starts keeps it from running; a call already running finishes and its result is dropped.
   *
   * @param digest the object
   * @param executor where to run the blocking call
   * @return the object's size, or a future failed with the {@link RepositoryException} itself
   */
  default CompletableFuture<Long> statAsync(Digest digest, Executor executor) {
    return Async.supply(() -> stat(digest), executor);
  }

  /**
   * Runs {@link #missing(Collection)} on {@code executor}, over a copy of {@code digests} taken
   * now. Cancelling the future before the call starts keeps it from running.
   *
   * @param digests the objects to look for
   * @param executor where to run the blocking call
   * @return the absent objects, or a future failed with the {@link RepositoryException} itself
   */
  default CompletableFuture<Set<Digest>> missingAsync(
      Collection<Digest> digests, Executor executor) {
    List<Digest> copy = List.copyOf(digests);
    return Async.supply(() -> missing(copy), executor);
  }
}
