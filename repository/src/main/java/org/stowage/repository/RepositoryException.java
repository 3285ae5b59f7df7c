package org.stowage.repository;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A repository operation failed for a reason the caller can act on, told apart by {@link #kind()}.
 *
 * <p>The message always names the repository and, where the failure concerns one object, its
 * digest. Futures returned by this package fail with this exception itself (wrapped in a
 * {@link java.util.concurrent.CompletionException} by {@code join()}, as usual).
 *
 * <p>Immutable and thread-safe, as exceptions go.
 */
public final class RepositoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, and so what the caller should do about it. */
  public enum Kind {
    /** The object is not in the repository. Retrying will not help until someone puts it. */
    NOT_FOUND,
    /**
     * The object's bytes do not match its digest: it was damaged at rest or in transit. Nothing
     * was accepted; the object should be fetched again from a good copy.
     */
    CORRUPT,
    /**
     * The repository could not be reached or could not do its I/O. The failure may be
     * transient: retry with backoff.
     */
    UNAVAILABLE,
  }

  /** What went wrong. */
  private final Kind kind;
  /** The name of the repository concerned. */
  private final String repository;
  /** The object concerned, or null. */
  private final @Nullable Digest digest;

  /**
   * Creates an exception. Prefer the factories ({@link #notFound}, {@link #corrupt},
   * {@link #unavailable}), which word the message consistently.
   *
   * @param kind what went wrong
   * @param repository the {@linkplain Repository#name() name} of the repository concerned
   * @param digest the object concerned, or null if the failure is not about one object
   * @param message the full message; must name the repository and the digest if there is one
   * @param cause the underlying failure, or null
   * @throws IllegalArgumentException if {@code message} is blank
   */
  public RepositoryException(
      Kind kind,
      String repository,
      @Nullable Digest digest,
      String message,
      @Nullable Throwable cause) {
    super(message, cause);
    if (message.isBlank()) {
      throw new IllegalArgumentException("message must not be blank");
    }
    this.kind = Objects.requireNonNull(kind, "kind");
    this.repository = Objects.requireNonNull(repository, "repository");
    this.digest = digest;
  }

  /**
   * The object {@code digest} is not in {@code repository}.
   *
   * @param repository the repository's name
   * @param digest the missing object
   * @return a {@link Kind#NOT_FOUND} exception
   */
  public static RepositoryException notFound(String repository, Digest digest) {
    return new RepositoryException(
        Kind.NOT_FOUND, repository, digest,
        "object " + digest + " not found in repository " + repository, null);
  }

  /**
   * The bytes of object {@code digest} in {@code repository} do not match the digest.
   *
   * @param repository the repository's name
   * @param digest the damaged object
   * @param detail what was seen, for example the digest the bytes actually have
   * @return a {@link Kind#CORRUPT} exception
   */
  public static RepositoryException corrupt(String repository, Digest digest, String detail) {
    return new RepositoryException(
        Kind.CORRUPT, repository, digest,
        "object " + digest + " in repository " + repository + " is corrupt: " + detail, null);
  }

  /**
   * {@code repository} could not do an operation, possibly for a while.
   *
   * @param repository the repository's name
   * @param digest the object concerned, or null
   * @param detail what was being done and what failed
   * @param cause the underlying failure, or null
   * @return an {@link Kind#UNAVAILABLE} exception
   */
  public static RepositoryException unavailable(
      String repository, @Nullable Digest digest, String detail, @Nullable Throwable cause) {
    String about = digest == null ? "" : " (object " + digest + ")";
    return new RepositoryException(
        Kind.UNAVAILABLE, repository, digest,
        "repository " + repository + " is unavailable" + about + ": " + detail, cause);
  }

  /**
   * What went wrong.
   *
   * @return the kind of failure
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The repository concerned.
   *
   * @return its {@linkplain Repository#name() name}
   */
  public String repository() {
    return repository;
  }

  /**
   * The object concerned, if the failure is about one object.
   *
   * @return its digest, or empty
   */
  public Optional<Digest> digest() {
    return Optional.ofNullable(digest);
  }
}
