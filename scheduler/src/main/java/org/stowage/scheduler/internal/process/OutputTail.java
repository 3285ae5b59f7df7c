package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps the last {@code capacity} bytes of a stream, such as a process's standard output, so that a
 * chatty process never costs more memory than that.
 *
 * <p>Thread-safety: one thread {@linkplain #drain drains} the stream; any thread may read
 * {@link #text()} meanwhile and gets the bytes so far. Used by {@link ProcessExec}; not API.
 */
final class OutputTail {

  private final byte[] ring;
  private long total;
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  /**
   * Creates a tail that keeps the last {@code capacity} bytes.
   *
   * @param capacity how many bytes to keep, at least 1
   */
  public OutputTail(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1 but was " + capacity);
    }
    this.ring = new byte[capacity];
  }

  /**
   * Reads {@code in} to its end, keeping the tail, then closes it and completes
   * {@link #drained()}. A read error ends the draining as the end of the stream would: what was
   * read is kept. Blocks until the end of the stream.
   *
   * @param in the stream to read
   */
  public void drain(InputStream in) {
    byte[] buffer = new byte[8192];
    try (in) {
      for (int n; (n = in.read(buffer)) != -1; ) {
        append(buffer, n);
      }
    } catch (IOException e) {
      // The stream was closed under us, or the pipe broke: the tail so far is all there is.
    } finally {
      drained.complete(null);
    }
  }

  /**
   * Completes when {@link #drain} has reached the end of its stream.
   *
   * @return the future of the end of the stream
   */
  public CompletableFuture<Void> drained() {
    return drained;
  }

  /**
   * Returns the tail as text, decoding it as UTF-8; a character cut in two at the start of the
   * tail is dropped.
   *
   * @return the tail's text
   */
  public synchronized String text() {
    int size = (int) Math.min(total, ring.length);
    byte[] bytes = new byte[size];
    int start = (int) ((total - size) % ring.length);
    int first = Math.min(size, ring.length - start);
    System.arraycopy(ring, start, bytes, 0, first);
    System.arraycopy(ring, 0, bytes, first, size - first);
    int skip = 0;
    if (total > ring.length) {
      while (skip < size && skip < 3 && (bytes[skip] & 0xC0) == 0x80) {
        skip++; // a UTF-8 continuation byte: the start of its character was dropped
      }
    }
    return new String(bytes, skip, size - skip, StandardCharsets.UTF_8);
  }

  private synchronized void append(byte[] buffer, int n) {
    int offset = 0;
    if (n > ring.length) {
      offset = n - ring.length;
      total += offset;
      n = ring.length;
    }
    int pos = (int) (total % ring.length);
    int first = Math.min(n, ring.length - pos);
    System.arraycopy(buffer, offset, ring, pos, first);
    System.arraycopy(buffer, offset + first, ring, 0, n - first);
    total += n;
  }
}
