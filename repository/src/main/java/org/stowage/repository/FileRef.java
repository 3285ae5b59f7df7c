package org.stowage.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A reference to a file's content: the object's digest and its size. In JSON:
 * {@code {"digest":"sha256:<64 hex>","size":12}} (see {@link Fileset}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param digest the object holding the file's bytes
 * @param size the file's size in bytes, {@code >= 0}
 */
public record FileRef(
    @JsonProperty(value = "digest", required = true) Digest digest,
    @JsonProperty(value = "size", required = true) long size) {
  /**
   * Validates the reference.
   *
   * @param digest the object holding the file's bytes
   * @param size the file's size in bytes
   * @throws NullPointerException if {@code digest} is null
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public FileRef {
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0 but was " + size);
    }
  }

  /**
   * Returns a reference to {@code bytes}, digesting them.
   *
   * @param bytes the file's content
   * @return a reference with their digest and length
   */
  public static FileRef of(byte[] bytes) {
    return new FileRef(Digest.of(bytes), bytes.length);
  }
}
