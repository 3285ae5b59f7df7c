package org.stowage.repository;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * Wraps a repository, counting calls, bytes read and streams open at once. Streams it returns
 * are not {@link VerifyingInputStream}s, so a reader that wants verification must add its own.
 */
class CountingRepository implements Repository {
  final Repository delegate;
  final AtomicInteger gets = new AtomicInteger();
  final AtomicInteger missingCalls = new AtomicInteger();
  final AtomicLong bytesRead = new AtomicLong();
  final AtomicInteger openStreams = new AtomicInteger();
  final AtomicInteger maxOpenStreams = new AtomicInteger();
  final Map<Digest, AtomicInteger> getsByDigest = new ConcurrentHashMap<>();
  /** Applied to each stream get returns, for example to block it. */
  volatile UnaryOperator<InputStream> onGet = UnaryOperator.identity();
  /** If set, get throws it. */
  volatile RepositoryException failGets;

  CountingRepository(Repository delegate) {
    this.delegate = delegate;
  }

  int gets(Digest digest) {
    AtomicInteger n = getsByDigest.get(digest);
    return n == null ? 0 : n.get();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public long stat(Digest digest) {
    return delegate.stat(digest);
  }

  @Override
  public InputStream get(Digest digest) {
    gets.incrementAndGet();
    getsByDigest.computeIfAbsent(digest, d -> new AtomicInteger()).incrementAndGet();
    RepositoryException failure = failGets;
    if (failure != null) {
      throw failure;
    }
    InputStream in = delegate.get(digest);
    maxOpenStreams.accumulateAndGet(openStreams.incrementAndGet(), Math::max);
    AtomicBoolean closed = new AtomicBoolean();
    return new FilterInputStream(onGet.apply(in)) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b != -1) {
          bytesRead.incrementAndGet();
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          bytesRead.addAndGet(n);
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
          openStreams.decrementAndGet();
        }
        super.close();
      }
    };
  }

  @Override
  public Digest put(InputStream in) {
    return delegate.put(in);
  }

  @Override
  public Set<Digest> missing(Collection<Digest> digests) {
    missingCalls.incrementAndGet();
    return delegate.missing(digests);
  }
}
