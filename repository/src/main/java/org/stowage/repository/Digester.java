package org.stowage.repository;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Computes a {@link Digest} over bytes fed to it piece by piece, and counts them, so that a
 * stream can be digested as it is copied without being held in memory.
 *
 * <p>Get one from {@link Digest#newDigester()}. Not thread-safe: one digester belongs to one
 * stream at a time. It can be used once: after {@link #digest()} it refuses more bytes.
 */
public final class Digester {
  /** A good chunk size for reading streams that are being digested. */
  static final int BUFFER_SIZE = 64 * 1024;

  private final MessageDigest sha256;
  private long size;
  private boolean finished;

  Digester() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must support SHA-256 (MessageDigest Javadoc).
      throw new IllegalStateException("this jvm has no sha-256 implementation", e);
    }
  }

  /**
   * Adds {@code length} bytes of {@code bytes}, starting at {@code offset}.
   *
   * @param bytes the array holding the bytes
   * @param offset index of the first byte to add
   * @param length how many bytes to add
   * @throws IndexOutOfBoundsException if the range is not inside {@code bytes}
   * @throws IllegalStateException if {@link #digest()} was already called
   */
  public void update(byte[] bytes, int offset, int length) {
    checkNotFinished();
    sha256.update(bytes, offset, length);
    size += length;
  }

  /**
   * Returns how many bytes have been added so far.
   *
   * @return the number of bytes added
   */
  public long size() {
    return size;
  }

  /**
   * Finishes and returns the digest of all bytes added.
   *
   * @return the SHA-256 digest of the bytes added
   * @throws IllegalStateException if called twice
   */
  public Digest digest() {
    checkNotFinished();
    finished = true;
    return new Digest(HexFormat.of().formatHex(sha256.digest()));
  }

  private void checkNotFinished() {
    if (finished) {
      throw new IllegalStateException("digester was already finished");
    }
  }
}
