package org.stowage.repository;

import java.io.InputStream;
import java.util.SplittableRandom;

/** A deterministic stream of {@code length} pseudo-random bytes from a seed; holds no buffer. */
final class GeneratedStream extends InputStream {
  private final SplittableRandom random;
  private long remaining;
  private long word;
  private int wordBytes;

  GeneratedStream(long seed, long length) {
    this.random = new SplittableRandom(seed);
    this.remaining = length;
  }

  /** The bytes of a generated stream, for small sizes. */
  static byte[] bytes(long seed, int length) {
    byte[] out = new byte[length];
    new GeneratedStream(seed, length).read(out, 0, length);
    return out;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) {
    if (length == 0) {
      return 0;
    }
    if (remaining == 0) {
      return -1;
    }
    int n = (int) Math.min(length, remaining);
    for (int i = 0; i < n; i++) {
      if (wordBytes == 0) {
        word = random.nextLong();
        wordBytes = 8;
      }
      buffer[offset + i] = (byte) word;
      word >>>= 8;
      wordBytes--;
    }
    remaining -= n;
    return n;
  }
}
