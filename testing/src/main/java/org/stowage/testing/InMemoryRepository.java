package org.stowage.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.NullMarked;
import org.stowage.repository.Digest;
import org.stowage.repository.Digester;
import org.stowage.repository.Repository;
import org.stowage.repository.RepositoryException;
import org.stowage.repository.VerifyingInputStream;

/**
 * A complete {@link Repository} held in memory, for tests: it behaves like
 * {@link org.stowage.repository.FileRepository} (digests computed on put, verified while
 * streaming on get, the same error kinds and messages) and adds hooks to damage it, make it fail
 * and watch it.
 *
 * <pre>{@code
 * InMemoryRepository repository = new InMemoryRepository("alloc-1");
 * Digest digest = repository.putBytes("hello".getBytes());
 * repository.corrupt(digest);           // the next full read of it fails CORRUPT
 * repository.failNext(RepositoryException.unavailable(repository.name(), null, "blip", null));
 * repository.unavailable(true);         // every call fails UNAVAILABLE until switched back
 * repository.checkNoOpenStreams();      // throws, with the opening stack, if a stream leaked
 * }</pre>
 *
 * <p>Hooks: {@link #corrupt}, {@link #delete}, {@link #failNext}, {@link #unavailable}.
 * Counters: {@link #gets()}, {@link #puts()}, {@link #stats()}, {@link #missingCalls()},
 * {@link #bytesRead()}, {@link #bytesWritten()}, {@link #openStreams()},
 * {@link #maxOpenStreams()}. Inspection without touching the counters: {@link #contains},
 * {@link #digests()}.
 *
 * <p>Thread-safe: every method may be called from any thread, concurrently. Streams returned by
 * {@link #get} are, like all streams, for one thread at a time.
 */
@NullMarked
public final class InMemoryRepository implements Repository {
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final String name;
  private final Map<Digest, byte[]> objects = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<RepositoryException> failures =
      new ConcurrentLinkedQueue<>();
  private volatile boolean unavailable;
  private final AtomicLong gets = new AtomicLong();
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong stats = new AtomicLong();
  private final AtomicLong missingCalls = new AtomicLong();
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();
  private final Map<InputStream, Throwable> open = new ConcurrentHashMap<>();
  private final AtomicInteger openStreams = new AtomicInteger();
  private final AtomicInteger maxOpenStreams = new AtomicInteger();

  /**
   * Creates an empty repository called {@code memory:<name>}.
   *
   * @param name a name unique among the repositories a test uses (a transferer takes two
   *     repositories with the same name to hold the same objects)
   */
  public InMemoryRepository(String name) {
    this.name = "memory:" + Objects.requireNonNull(name, "name");
  }

  /** Creates an empty repository with a name unique in this JVM, {@code memory:<n>}. */
  public InMemoryRepository() {
    this(String.valueOf(INSTANCES.incrementAndGet()));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long stat(Digest digest) {
    stats.incrementAndGet();
    failIfAsked();
    return stored(digest).length;
  }

  @Override
  public InputStream get(Digest digest) {
    gets.incrementAndGet();
    failIfAsked();
    byte[] bytes = stored(digest);
    return new VerifyingInputStream(new TrackedStream(bytes, digest), digest, name);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Holds the whole object in memory while reading it, as an in-memory store must. Putting an
   * object again replaces its bytes, which repairs a {@linkplain #corrupt corrupted} one.
   */
  @Override
  public Digest put(InputStream in) {
    Objects.requireNonNull(in, "in");
    puts.incrementAndGet();
    failIfAsked();
    Digester digester = Digest.newDigester();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    try {
      for (int n; (n = in.read(buffer)) != -1; ) {
        digester.update(buffer, 0, n);
        bytes.write(buffer, 0, n);
      }
    } catch (IOException e) {
      throw RepositoryException.unavailable(name, null, "cannot read the object: " + e, e);
    }
    Digest digest = digester.digest();
    objects.put(digest, bytes.toByteArray());
    bytesWritten.addAndGet(digester.size());
    return digest;
  }

  @Override
  public Set<Digest> missing(Collection<Digest> digests) {
    missingCalls.incrementAndGet();
    failIfAsked();
    Set<Digest> missing = new LinkedHashSet<>();
    for (Digest digest : digests) {
      if (!objects.containsKey(digest)) {
        missing.add(digest);
      }
    }
    return Collections.unmodifiableSet(missing);
  }

  /**
   * Stores {@code bytes}; a shorthand for {@link #put(InputStream)} that counts as a put.
   *
   * @param bytes the object's content
   * @return its digest
   */
  public Digest putBytes(byte[] bytes) {
    return put(new ByteArrayInputStream(bytes));
  }

  /**
   * Damages a stored object: flips the bits of its last byte, or gives an empty object one byte.
   * {@link #stat} still answers, and the next read to the end of it fails
   * {@link RepositoryException.Kind#CORRUPT}. Streams already open keep the old bytes.
   *
   * @param digest the object to damage
   * @throws IllegalArgumentException if the object is not here
   */
  public void corrupt(Digest digest) {
    byte[] bytes = objects.get(digest);
    if (bytes == null) {
      throw new IllegalArgumentException("cannot corrupt " + digest + ": it is not in " + name);
    }
    byte[] damaged = bytes.length == 0 ? new byte[1] : Arrays.copyOf(bytes, bytes.length);
    damaged[damaged.length - 1] ^= (byte) 0xff;
    objects.put(digest, damaged);
  }

  /**
   * Removes an object, as if the store had lost it.
   *
   * @param digest the object to remove
   * @return whether it was here
   */
  public boolean delete(Digest digest) {
    return objects.remove(digest) != null;
  }

  /**
   * Makes the next call to {@link #stat}, {@link #get}, {@link #put} or {@link #missing}, from
   * any thread, throw {@code failure}. Calls queue up: two calls inject two failures, in order.
   *
   * @param failure the exception to throw
   */
  public void failNext(RepositoryException failure) {
    failures.add(Objects.requireNonNull(failure, "failure"));
  }

  /**
   * Switches the repository off or on. While off, {@link #stat}, {@link #get}, {@link #put}
   * and {@link #missing} throw {@link RepositoryException.Kind#UNAVAILABLE}.
   *
   * @param unavailable true to switch off, false to switch back on
   */
  public void unavailable(boolean unavailable) {
    this.unavailable = unavailable;
  }

  /**
   * Whether an object is here. Not counted as a call.
   *
   * @param digest the object
   * @return true if it is stored
   */
  public boolean contains(Digest digest) {
    return objects.containsKey(digest);
  }

  /**
   * The objects stored now. Not counted as a call.
   *
   * @return their digests, sorted, as an unmodifiable snapshot
   */
  public SortedSet<Digest> digests() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(objects.keySet()));
  }

  /**
   * Calls to {@link #get} so far, including failed ones.
   *
   * @return the number of gets
   */
  public long gets() {
    return gets.get();
  }

  /**
   * Calls to {@link #put} so far, including failed ones.
   *
   * @return the number of puts
   */
  public long puts() {
    return puts.get();
  }

  /**
   * Calls to {@link #stat} so far, including failed ones.
   *
   * @return the number of stats
   */
  public long stats() {
    return stats.get();
  }

  /**
   * Calls to {@link #missing} so far, including failed ones.
   *
   * @return the number of missing calls
   */
  public long missingCalls() {
    return missingCalls.get();
  }

  /**
   * Bytes delivered to readers of streams from {@link #get} so far.
   *
   * @return the number of bytes read
   */
  public long bytesRead() {
    return bytesRead.get();
  }

  /**
   * Bytes accepted by successful puts so far, counting an object put twice twice.
   *
   * @return the number of bytes written
   */
  public long bytesWritten() {
    return bytesWritten.get();
  }

  /**
   * Streams from {@link #get} that are open now.
   *
   * @return the number of streams not yet closed
   */
  public int openStreams() {
    return openStreams.get();
  }

  /**
   * The most streams from {@link #get} that were open at once.
   *
   * @return the high-water mark of open streams
   */
  public int maxOpenStreams() {
    return maxOpenStreams.get();
  }

  /**
   * Checks that every stream {@link #get} returned was closed.
   *
   * @throws IllegalStateException if some are open; its cause is the stack of the {@code get}
   *     that opened one of them
   */
  public void checkNoOpenStreams() {
    open.values().stream().findFirst().ifPresent(opened -> {
      throw new IllegalStateException("expected 0 open streams in " + name + ", but found "
          + openStreams.get() + ", for example the " + opened.getMessage(), opened);
    });
  }

  @Override
  public String toString() {
    return "InMemoryRepository[" + name + ", " + objects.size() + " objects]";
  }

  private void failIfAsked() {
    RepositoryException failure = failures.poll();
    if (failure != null) {
      throw failure;
    }
    if (unavailable) {
      throw RepositoryException.unavailable(name, null, "switched off by the test", null);
    }
  }

  private byte[] stored(Digest digest) {
    byte[] bytes = objects.get(digest);
    if (bytes == null) {
      throw RepositoryException.notFound(name, digest);
    }
    return bytes;
  }

  /** Counts the bytes it delivers and registers itself as open until closed. */
  private final class TrackedStream extends FilterInputStream {
    private boolean closed;

    TrackedStream(byte[] bytes, Digest digest) {
      super(new ByteArrayInputStream(bytes));
      open.put(this, new Throwable("stream of " + digest + " opened here"));
      maxOpenStreams.accumulateAndGet(openStreams.incrementAndGet(), Math::max);
    }

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
      if (!closed) {
        closed = true;
        open.remove(this);
        openStreams.decrementAndGet();
      }
      super.close();
    }
  }
}
