package org.stowage.repository;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The SHA-256 digest of an object's bytes: the name of the object in every {@link Repository}.
 *
 * <p>The string form is {@code sha256:} followed by 64 lowercase hex digits, for example
 * {@code sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad}. It is the form
 * {@link #toString()} returns, {@link #parse(String)} reads and Jackson writes and reads.
 *
 * <p>A {@code Digest} is always valid: {@link #hex()} is exactly 64 lowercase hex digits, so code
 * may build file names from it without further checks. Build one from untrusted text only
 * through {@link #parse(String)} or the constructor, both of which validate.
 *
 * <p>Immutable and thread-safe.
 *
 * @param hex the 64 hex digits of the SHA-256 value, lowercase (uppercase is accepted and
 *     lowercased)
 */
public record Digest(String hex) implements Comparable<Digest> {
  /** The prefix of the string form, naming the hash function. */
  public static final String PREFIX = "sha256:";

  /** Number of hex digits in a SHA-256 value. */
  public static final int HEX_LENGTH = 64;

  /**
   * Validates {@code hex} and lowercases it.
   *
   * @param hex 64 hex digits, either case
   * @throws IllegalArgumentException if {@code hex} is not exactly 64 hex digits
   */
  public Digest {
    @Nullable String problem = hexProblem(hex);
    if (problem != null) {
      throw new IllegalArgumentException(
          "digest hex must be 64 hex digits but was " + Messages.quote(hex) + " (" + problem + ")");
    }
    hex = hex.toLowerCase(Locale.ROOT);
  }

  /**
   * Reads a digest from its string form, {@code sha256:<64 hex digits>}, or from the 64 hex
   * digits alone. Hex digits may be upper or lower case.
   *
   * @param value the text to read
   * @return the digest
   * @throws IllegalArgumentException if {@code value} is neither form; the message names the
   *     problem and echoes the value (cut if long)
   */
  @JsonCreator
  public static Digest parse(String value) {
    String hex = value;
    @Nullable String problem = null;
    int colon = value.indexOf(':');
    if (colon >= 0) {
      if (value.startsWith(PREFIX)) {
        hex = value.substring(PREFIX.length());
      } else {
        problem = "unsupported algorithm " + Messages.quote(value.substring(0, colon))
            + ", only sha256 is supported";
      }
    }
    if (problem == null) {
      problem = hexProblem(hex);
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "digest must be sha256:<64 hex digits> but was " + Messages.quote(value)
              + " (" + problem + ")");
    }
    return new Digest(hex);
  }

  /**
   * Digests a byte array.
   *
   * @param bytes the bytes to digest
   * @return their SHA-256 digest
   */
  public static Digest of(byte[] bytes) {
    Digester digester = newDigester();
    digester.update(bytes, 0, bytes.length);
    return digester.digest();
  }

  /**
   * Digests everything {@code in} yields until end of stream, reading it in chunks so that the
   * stream is never held in memory. Does not close {@code in}.
   *
   * @param in the stream to read to its end
   * @return the SHA-256 digest of the bytes read
   * @throws IOException if reading fails
   */
  public static Digest of(InputStream in) throws IOException {
    Digester digester = newDigester();
    byte[] buffer = new byte[Digester.BUFFER_SIZE];
    for (int n; (n = in.read(buffer)) != -1; ) {
      digester.update(buffer, 0, n);
    }
    return digester.digest();
  }

  /**
   * Starts a streaming digest: feed it bytes with {@link Digester#update(byte[], int, int)} and
   * finish with {@link Digester#digest()}.
   *
   * @return a new digester, owned by the caller (not thread-safe)
   */
  public static Digester newDigester() {
    return new Digester();
  }

  /**
   * Returns the string form, {@code sha256:<64 lowercase hex digits>}.
   *
   * @return the string form, which {@link #parse(String)} reads back
   */
  @JsonValue
  @Override
  public String toString() {
    return PREFIX + hex;
  }

  /**
   * Orders digests by their hex digits (the same order as their string forms).
   *
   * @param other the digest to compare with
   * @return negative, zero or positive as this digest sorts before, equal to or after
   *     {@code other}
   */
  @Override
  public int compareTo(Digest other) {
    return hex.compareTo(other.hex);
  }

  /** Returns what is wrong with {@code hex} as 64 hex digits, or null if nothing is. */
  private static @Nullable String hexProblem(String hex) {
    if (hex.length() != HEX_LENGTH) {
      return "has " + hex.length() + " characters, not " + HEX_LENGTH;
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      boolean isHex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!isHex) {
        return "non-hex character at index " + i;
      }
    }
    return null;
  }
}
