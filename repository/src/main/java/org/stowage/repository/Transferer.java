package org.stowage.repository;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Copies the objects a destination repository is missing from a source repository.
 *
 * <pre>{@code
 * Transferer transferer = Transferer.newBuilder().maxConcurrency(8).executor(ioPool).build();
 * transferer.transfer(taskRepository, allocRepository, fileset.digests()).join();
 * }</pre>
 *
 * <p><b>What it copies.</b> For each distinct digest asked for, the transferer skips it if it
 * remembers that the destination holds it (a bounded cache keyed by destination
 * {@linkplain Repository#name() name} and digest, so staging shared inputs again costs no call at
 * all); joins the copy if another call is already copying it into the same destination; and
 * otherwise asks the destination which objects it is {@linkplain Repository#missing missing}
 * (one call per transfer) and copies those. At most one copy of an object into a destination
 * runs at a time: concurrent callers share it (it reads from the source of the call that started
 * it).
 *
 * <p><b>Verification.</b> Each copy reads the source through a digest check and the destination
 * computes the digest again while storing. Bytes that do not match fail the copy with
 * {@link RepositoryException.Kind#CORRUPT} before the destination accepts them.
 *
 * <p><b>Bounds.</b> At most {@code maxConcurrency} repository operations (copies and
 * {@code missing} calls) run at once, over all calls; the rest wait in a queue, in order,
 * without holding a thread.
 *
 * <p><b>Errors.</b> A transfer fails as soon as one of its copies fails, with that copy's
 * {@link RepositoryException} unchanged: {@code NOT_FOUND} if the source lacks an object (the
 * message names it), {@code CORRUPT}, or {@code UNAVAILABLE}, which the caller may retry with
 * backoff. Copies that fail are not remembered; copies that succeed are, even if the transfer
 * that wanted them failed or was cancelled.
 *
 * <p><b>Cancellation.</b> Cancelling a returned future withdraws the call: its queued copies
 * that no other call waits for never start. Copies already running finish.
 *
 * <p><b>Threads.</b> Thread-safe. Blocking calls run on the executor given to the builder.
 * Returned futures complete on that executor (or on the calling thread if nothing needs a
 * call); dependent actions must not block, or should use the {@code ...Async} forms.
 */
public final class Transferer {
  // Concurrency: the cache, inFlight and the counters are concurrent structures. Each Copy and
  // each Transfer guards its own fields with its monitor; the Limiter guards its queue with its
  // monitor. Lock order: inFlight's bin lock, then a Copy's monitor. No monitor is held while
  // calling a repository, completing a future or taking another monitor.

  private static final int DEFAULT_MAX_CONCURRENCY = 8;
  private static final long DEFAULT_CACHE_SIZE = 100_000;

  private final int maxConcurrency;
  private final long cacheSize;
  private final Limiter limiter;
  private final Cache<Key, Boolean> known;
  private final ConcurrentHashMap<Key, Copy> inFlight = new ConcurrentHashMap<>();
  private final LongAdder bytesCopied = new LongAdder();
  private final LongAdder objectsCopied = new LongAdder();

  private Transferer(int maxConcurrency, long cacheSize, Executor executor) {
    this.maxConcurrency = maxConcurrency;
    this.cacheSize = cacheSize;
    this.limiter = new Limiter(executor, maxConcurrency);
    this.known = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
  }

  /**
   * Starts building a transferer.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Copies those of {@code digests} that {@code dst} is missing from {@code src}.
   *
   * @param src where the objects are
   * @param dst where they should be
   * @param digests the objects; duplicates are counted once
   * @return a future of what this call did; it fails with the first copy's
   *     {@link RepositoryException}, or whatever else a repository threw
   * @throws NullPointerException if an argument or a digest is null
   */
  public CompletableFuture<TransferReport> transfer(
      Repository src, Repository dst, Collection<Digest> digests) {
    Objects.requireNonNull(src, "src");
    Objects.requireNonNull(dst, "dst");
    Set<Digest> wanted = new LinkedHashSet<>();
    for (Digest digest : digests) {
      wanted.add(Objects.requireNonNull(digest, "digests must not contain null"));
    }
    Transfer transfer = new Transfer(src, dst);
    List<Digest> unknown = new ArrayList<>();
    for (Digest digest : wanted) {
      Key key = new Key(dst.name(), digest);
      Copy copy = inFlight.get(key);
      if (known.getIfPresent(key) != null) {
        transfer.skipped();
      } else if (copy != null && copy.join()) {
        transfer.await(copy, false);
      } else {
        unknown.add(digest);
      }
    }
    if (unknown.isEmpty()) {
      transfer.settle();
    } else {
      limiter.submit(() -> copyMissing(transfer, unknown), transfer.result::completeExceptionally);
    }
    return transfer.result;
  }

  /**
   * Forgets what {@code dst} was known to hold, so that the next transfers ask it again. Call it
   * when the destination may have lost objects, for example after it was wiped and reused under
   * the same name.
   *
   * @param dst the destination to forget
   */
  public void forget(Repository dst) {
    String name = dst.name();
    known.asMap().keySet().removeIf(key -> key.destination().equals(name));
  }

  /**
   * Returns the bytes copied by all transfers since this transferer was built.
   *
   * @return the total of bytes copied
   */
  public long bytesCopied() {
    return bytesCopied.sum();
  }

  /**
   * Returns the objects copied by all transfers since this transferer was built.
   *
   * @return the number of objects copied
   */
  public long objectsCopied() {
    return objectsCopied.sum();
  }

  @Override
  public String toString() {
    return "Transferer[maxConcurrency=" + maxConcurrency + ", cacheSize=" + cacheSize
        + ", objectsCopied=" + objectsCopied() + ", bytesCopied=" + bytesCopied() + "]";
  }

  /** Runs on the limiter: asks the destination what it lacks, then copies or joins each. */
  private void copyMissing(Transfer transfer, List<Digest> unknown) {
    if (transfer.result.isDone()) {
      return;
    }
    Set<Digest> missing;
    try {
      missing = transfer.dst.missing(unknown);
    } catch (Throwable t) {
      transfer.result.completeExceptionally(t);
      return;
    }
    for (Digest digest : unknown) {
      Key key = new Key(transfer.dst.name(), digest);
      if (missing.contains(digest)) {
        startOrJoin(transfer, key);
      } else {
        known.put(key, Boolean.TRUE);
        transfer.skipped();
      }
    }
    transfer.settle();
  }

  /** Joins the copy of {@code key} in flight, or starts one unless the cache now knows better. */
  private void startOrJoin(Transfer transfer, Key key) {
    @Nullable Copy[] started = {null};
    @Nullable Copy copy = inFlight.compute(key, (k, existing) -> {
      if (existing != null && existing.join()) {
        return existing;
      }
      // A copy that finished after the missing() call is in the cache (put before removal).
      if (known.getIfPresent(k) != null) {
        return null;
      }
      started[0] = new Copy(k, transfer.src, transfer.dst);
      return started[0];
    });
    if (copy == null) {
      transfer.skipped();
      return;
    }
    transfer.await(copy, started[0] != null);
    if (started[0] != null) {
      limiter.submit(started[0], started[0]::fail);
    }
  }

  /** Copies one object and returns the number of bytes copied. */
  private static long copy(Repository src, Repository dst, Digest digest) {
    try (InputStream raw = src.get(digest)) {
      // Repositories in this package verify their own streams: don't digest the bytes twice.
      VerifyingInputStream in = raw instanceof VerifyingInputStream v && v.expected().equals(digest)
          ? v
          : new VerifyingInputStream(raw, digest, src.name());
      Digest stored = dst.put(in);
      if (!stored.equals(digest)) {
        throw RepositoryException.corrupt(dst.name(), digest,
            "the destination stored the copy as " + stored);
      }
      return in.count();
    } catch (IOException e) {
      throw RepositoryException.unavailable(src.name(), digest, "cannot close the object: " + e, e);
    }
  }

  /** Cache key: an object in a destination. */
  private record Key(String destination, Digest digest) {}

  /** One copy of an object into a destination, shared by every transfer waiting for it. */
  final class Copy implements Runnable {
    private final Key key;
    private final Repository src;
    private final Repository dst;
    final CompletableFuture<Long> future = new CompletableFuture<>();
    // Guarded by this.
    private int waiters = 1;
    private boolean running;
    private boolean cancelled;

    Copy(Key key, Repository src, Repository dst) {
      this.key = key;
      this.src = src;
      this.dst = dst;
    }

    /** Adds a waiter; false if the copy was cancelled and must be replaced. */
    synchronized boolean join() {
      if (cancelled) {
        return false;
      }
      waiters++;
      return true;
    }

    /** Removes a waiter; the last one out cancels the copy if it has not started. */
    void release() {
      boolean cancel;
      synchronized (this) {
        waiters--;
        cancel = waiters == 0 && !running && !cancelled;
        cancelled |= cancel;
      }
      if (cancel) {
        inFlight.remove(key, this);
        future.cancel(false);
      }
    }

    @Override
    public void run() {
      synchronized (this) {
        if (cancelled || future.isDone()) {
          return;
        }
        running = true;
      }
      try {
        long n = copy(src, dst, key.digest());
        known.put(key, Boolean.TRUE);
        bytesCopied.add(n);
        objectsCopied.increment();
        inFlight.remove(key, this);
        future.complete(n);
      } catch (Throwable t) {
        fail(t);
      }
    }

    /** Ends the copy with {@code failure}; nothing is remembered. */
    void fail(Throwable failure) {
      inFlight.remove(key, this);
      future.completeExceptionally(failure);
    }
  }

  /**
   * Builds a {@link Transferer}. Each option may be set once; unset options take the defaults
   * given on each setter. Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private static final int UNSET = -1;

    private int maxConcurrency = UNSET;
    private long cacheSize = UNSET;
    private @Nullable Executor executor;

    private Builder() {}

    /**
     * Sets how many repository operations (copies and {@code missing} calls) may run at once,
     * over all transfers. Default 8.
     *
     * @param maxConcurrency the bound, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code maxConcurrency <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder maxConcurrency(int maxConcurrency) {
      if (this.maxConcurrency != UNSET) {
        throw new IllegalStateException(
            "max concurrency was already set to " + this.maxConcurrency);
      }
      if (maxConcurrency <= 0) {
        throw new IllegalArgumentException(
            "max concurrency must be > 0 but was " + maxConcurrency);
      }
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    /**
     * Sets how many (destination, object) pairs known to be present are remembered. Zero
     * remembers nothing, so every transfer asks the destination. Default 100,000.
     *
     * @param cacheSize the number of entries, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code cacheSize < 0}
     * @throws IllegalStateException if already set
     */
    public Builder cacheSize(long cacheSize) {
      if (this.cacheSize != UNSET) {
        throw new IllegalStateException("cache size was already set to " + this.cacheSize);
      }
      if (cacheSize < 0) {
        throw new IllegalArgumentException("cache size must be >= 0 but was " + cacheSize);
      }
      this.cacheSize = cacheSize;
      return this;
    }

    /**
     * Sets the executor that runs the blocking repository calls; it should not reject tasks (a
     * rejected call fails its transfer with the {@code RejectedExecutionException}) and should
     * have at least {@code maxConcurrency} threads to reach that concurrency. Default: a pool of
     * daemon threads, created as needed and ended after a minute idle.
     *
     * @param executor the executor
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder executor(Executor executor) {
      Objects.requireNonNull(executor, "executor");
      if (this.executor != null) {
        throw new IllegalStateException("executor was already set to " + this.executor);
      }
      this.executor = executor;
      return this;
    }

    /**
     * Builds a transferer with the options set so far.
     *
     * @return a new transferer, with its own cache and counters
     */
    public Transferer build() {
      return new Transferer(
          maxConcurrency == UNSET ? DEFAULT_MAX_CONCURRENCY : maxConcurrency,
          cacheSize == UNSET ? DEFAULT_CACHE_SIZE : cacheSize,
          executor != null ? executor : defaultExecutor());
    }

    private static Executor defaultExecutor() {
      AtomicInteger threads = new AtomicInteger();
      return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
          new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "stowage-transfer-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder("Transferer.Builder{");
      if (maxConcurrency != UNSET) {
        out.append("maxConcurrency=").append(maxConcurrency).append(' ');
      }
      if (cacheSize != UNSET) {
        out.append("cacheSize=").append(cacheSize).append(' ');
      }
      if (executor != null) {
        out.append("executor=").append(executor).append(' ');
      }
      return out.toString().strip() + "}";
    }
  }
}
