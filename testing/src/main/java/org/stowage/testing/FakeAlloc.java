package org.stowage.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;

/**
 * An {@link Alloc} from a {@link FakeCluster}. Its execs are {@link FakeExec}s that end as the
 * cluster's {@link ExecPolicy} says (by default, when the test ends them by hand); {@link #fail}
 * makes its keepalive fail, as if the machine behind it were gone.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FakeAlloc implements Alloc {

  private final String id;
  private final Resources resources;
  private final FakeCluster cluster;
  private final Throwable grantedAt;
  private final InMemoryRepository repository;
  private final List<FakeExec> execs = new CopyOnWriteArrayList<>();
  private final BlockingQueue<FakeExec> started = new LinkedBlockingQueue<>();
  private final AtomicInteger keepalives = new AtomicInteger();
  private volatile @Nullable String failure;
  private volatile boolean freed;
  private volatile @Nullable Throwable startedAfterFree;

  FakeAlloc(String id, Resources resources, FakeCluster cluster) {
    this.id = id;
    this.resources = resources;
    this.cluster = cluster;
    this.grantedAt = new Throwable("alloc " + id + " " + resources + " was granted here");
    this.repository = new InMemoryRepository("alloc " + id + " of cluster " + cluster.id());
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Resources resources() {
    return resources;
  }

  /** Returns the alloc's own in-memory repository, into which inputs are staged. */
  @Override
  public InMemoryRepository repository() {
    return repository;
  }

  @Override
  public Exec start(ExecRequest request) {
    String why = failure;
    if (freed && startedAfterFree == null) {
      startedAfterFree = new Throwable("exec " + request.id() + " was started on alloc " + id
          + " after the scheduler had freed it");
    }
    if (why != null || freed) {
      throw new AllocLostException("alloc " + id + " is gone: " + (why != null ? why : "freed"));
    }
    ExecAnswer answer = Objects.requireNonNull(cluster.policies().execPolicy().answer(request),
        "the exec policy answered null");
    FakeExec exec = new FakeExec(request, this);
    execs.add(exec);
    started.add(exec);
    exec.play(answer, cluster.policies().timeSource());
    return exec;
  }

  @Override
  public CompletableFuture<Duration> keepalive() {
    keepalives.incrementAndGet();
    String why = failure;
    if (why != null) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id + ": " + why));
    }
    if (freed) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id + " was freed"));
    }
    return CompletableFuture.completedFuture(cluster.policies().keepaliveInterval());
  }

  @Override
  public CompletableFuture<Void> free() {
    boolean healthy = failure == null && !freed;
    freed = true;
    for (FakeExec x : execs) {
      if (healthy && !x.isDone()) {
        x.runningWhenFreed();
      }
      x.kill();
    }
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Makes the alloc dead: keepalives fail from now on, and so does starting an exec. Running execs
   * are left hanging, as on a machine that is unreachable; the scheduler must give up on them.
   *
   * @param why what happened, for the error messages
   */
  public void fail(String why) {
    failure = why;
  }

  /**
   * Returns true if {@link #fail} was called.
   *
   * @return whether the alloc is dead
   */
  public boolean isFailed() {
    return failure != null;
  }

  /**
   * Returns true once the scheduler freed the alloc.
   *
   * @return whether the alloc is freed
   */
  public boolean isFreed() {
    return freed;
  }

  /**
   * Returns how many keepalives the scheduler sent.
   *
   * @return the number of keepalives
   */
  public int keepalives() {
    return keepalives.get();
  }

  /**
   * Returns every exec started here, in order.
   *
   * @return the execs, oldest first
   */
  public List<FakeExec> execs() {
    return List.copyOf(execs);
  }

  /**
   * Returns the execs started here that have not ended.
   *
   * @return the running execs, oldest first
   */
  public List<FakeExec> running() {
    List<FakeExec> out = new ArrayList<>();
    for (FakeExec x : execs) {
      if (!x.isDone()) {
        out.add(x);
      }
    }
    return out;
  }

  /**
   * Returns the next exec started here, in order, waiting up to {@code timeout} for it.
   *
   * @param timeout how long to wait
   * @return the exec
   * @throws IllegalStateException if none was started in time
   */
  public FakeExec takeExec(Duration timeout) {
    try {
      FakeExec x = started.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (x == null) {
        throw new IllegalStateException("no exec started on alloc " + id + " within " + timeout);
      }
      return x;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an exec on " + id, e);
    }
  }

  Throwable grantedAt() {
    return grantedAt;
  }

  @Nullable Throwable startedAfterFree() {
    return startedAfterFree;
  }

  @Override
  public String toString() {
    return "fake alloc " + id + " " + resources + (freed ? " (freed)" : "")
        + (failure != null ? " (failed)" : "");
  }
}
