package org.stowage.repository;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Passes an object's bytes through while digesting them, and fails the read that reaches end of
 * stream if the bytes do not match the digest they were asked for.
 *
 * <p>That read throws {@link RepositoryException} of kind {@link RepositoryException.Kind#CORRUPT}
 * instead of returning -1, and so does every later read. A reader that stops before the end
 * gets no verdict. {@code skip} reads and digests the skipped bytes; mark and reset are not
 * supported. {@code Repository} implementations wrap the streams their {@code get} returns in
 * one, and a copy can wrap its source in one so that a bad object is refused before the
 * destination accepts it (the read that would end the copy throws instead).
 *
 * <p>Not thread-safe, like most streams.
 */
public final class VerifyingInputStream extends FilterInputStream {
  private final Digest expected;
  private final String repository;
  private final Digester digester = Digest.newDigester();
  private @Nullable RepositoryException failure;
  private boolean verified;

  /**
   * Wraps {@code in}, which should yield the bytes of object {@code expected}.
   *
   * @param in the stream of the object's bytes; closed when this stream is closed
   * @param expected the digest the bytes must have
   * @param repository the name of the repository the bytes come from, for the error message
   */
  public VerifyingInputStream(InputStream in, Digest expected, String repository) {
    super(Objects.requireNonNull(in, "in"));
    this.expected = Objects.requireNonNull(expected, "expected");
    this.repository = Objects.requireNonNull(repository, "repository");
  }

  /** The digest the bytes must have. */
  Digest expected() {
    return expected;
  }

  /**
   * Returns how many bytes have been read (or skipped) so far.
   *
   * @return the number of bytes that went through this stream
   */
  public long count() {
    return digester.size();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, buffer.length);
    if (length == 0) {
      return 0;
    }
    if (verified) {
      return -1;
    }
    if (failure != null) {
      throw failure;
    }
    int n = in.read(buffer, offset, length);
    if (n == -1) {
      Digest actual = digester.digest();
      if (!actual.equals(expected)) {
        failure = RepositoryException.corrupt(repository, expected,
            "its " + digester.size() + " bytes have digest " + actual);
        throw failure;
      }
      verified = true;
      return -1;
    }
    digester.update(buffer, offset, n);
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), Digester.BUFFER_SIZE)];
    long skipped = 0;
    while (skipped < n) {
      int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (r == -1) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readLimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported by a verifying stream");
  }
}
