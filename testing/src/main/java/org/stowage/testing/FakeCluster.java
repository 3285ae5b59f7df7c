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
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.TimeSource;

/**
 * A {@link Cluster} for tests. Allocation requests are answered by hand (take the next request,
 * look at its requirements, grant or fail it), or at once from the largest alloc shape or a menu of
 * shapes. Every request is recorded, and {@link #checkNoLeaks()} finds allocs that were never freed
 * and execs that never ended, with the stack where each began.
 *
 * <pre>{@code
 * FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(Resources.of("cpu", 16)).build();
 * scheduler.submit(List.of(task));
 * FakeCluster.Request request = cluster.takeRequest(Duration.ofSeconds(5));
 * FakeAlloc alloc = request.grant();
 * alloc.takeExec(Duration.ofSeconds(5)).succeed();
 * }</pre>
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FakeCluster implements Cluster {

  private final @Nullable Resources maxAlloc;
  private final List<Resources> menu;
  private final boolean automatic;
  private final int quota;
  private final @Nullable Duration execDuration;
  private final Duration keepaliveInterval;
  private final TimeSource time;
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final int id = CLUSTERS.incrementAndGet();
  private final AtomicInteger ids = new AtomicInteger();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Request> unanswered = new LinkedBlockingQueue<>();
  private final List<FakeAlloc> allocs = new CopyOnWriteArrayList<>();

  private FakeCluster(Builder b) {
    this.maxAlloc = b.maxAlloc;
    this.menu = List.copyOf(b.menu);
    this.automatic = b.automatic;
    this.quota = b.quota;
    this.execDuration = b.execDuration;
    this.keepaliveInterval = b.keepaliveInterval;
    this.time = b.time;
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the defaults
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
    Request r = new Request(requirements, labels);
    requests.add(r);
    if (!automatic) {
      unanswered.add(r);
      return r.future;
    }
    if (quota > 0 && liveAllocs() >= quota) {
      r.fail(new AllocationException(AllocationException.Kind.NOT_NOW,
          "quota of " + quota + " allocs reached"));
    } else {
      try {
        r.grant();
      } catch (AllocationException e) {
        // grant() failed the request's future with it; the caller sees it there
      }
    }
    return r.future;
  }

  @Override
  public Admission canAllocate(Resources resources) {
    if (maxAlloc != null && !resources.fitsIn(maxAlloc)) {
      return Admission.never("the largest alloc is " + maxAlloc);
    }
    if (!menu.isEmpty() && menu.stream().noneMatch(resources::fitsIn)) {
      return Admission.never("no alloc shape holds it; the shapes are " + menu);
    }
    return Admission.yes();
  }

  /**
   * Returns the next request not yet answered, waiting up to {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the request
   * @throws IllegalStateException if none arrived in time
   */
  public Request takeRequest(Duration timeout) {
    try {
      Request r = unanswered.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (r == null) {
        throw new IllegalStateException("no allocation request within " + timeout
            + "; requests so far: " + requirements());
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a request", e);
    }
  }

  /**
   * Returns the next request not yet answered, or null if there is none now.
   *
   * @return the request, or null
   */
  public @Nullable Request pollRequest() {
    return unanswered.poll();
  }

  /**
   * Returns every request received, in order.
   *
   * @return the requests, oldest first
   */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /**
   * Returns the requirements of every request received, in order.
   *
   * @return the requirements, oldest first
   */
  public List<Requirements> requirements() {
    List<Requirements> out = new ArrayList<>();
    for (Request r : requests) {
      out.add(r.requirements);
    }
    return out;
  }

  /**
   * Returns every alloc granted, in order.
   *
   * @return the allocs, oldest first
   */
  public List<FakeAlloc> allocs() {
    return List.copyOf(allocs);
  }

  /**
   * Returns how many granted allocs are neither freed nor failed.
   *
   * @return the number of live allocs
   */
  public int liveAllocs() {
    int n = 0;
    for (FakeAlloc a : allocs) {
      if (!a.isFreed() && !a.isFailed()) {
        n++;
      }
    }
    return n;
  }

  /**
   * Checks that every granted alloc was freed, that no exec was started on an alloc after it was
   * freed, and that no exec was still running when its alloc was freed (unless the alloc had {@linkplain FakeAlloc#fail failed}: then the scheduler can only
   * give up on it).
   *
   * @throws IllegalStateException naming the first leak, caused by the stack where it began
   */
  public void checkNoLeaks() {
    for (FakeAlloc a : allocs) {
      if (!a.isFreed()) {
        throw new IllegalStateException("expected every alloc freed, but " + a.id()
            + " was not (" + allocs.size() + " granted)", a.grantedAt());
      }
      Throwable late = a.startedAfterFree();
      if (late != null) {
        throw new IllegalStateException("expected no exec started on an alloc after it was freed,"
            + " but one was on " + a.id(), late);
      }
      for (FakeExec x : a.execs()) {
        if (!x.isDone() || x.wasRunningWhenFreed()) {
          throw new IllegalStateException("expected every exec ended before its alloc was"
              + " freed, but " + x.id() + " on alloc " + a.id() + " was still running", x.startedAt());
        }
      }
    }
  }

  int id() {
    return id;
  }

  @Nullable Duration execDuration() {
    return execDuration;
  }

  Duration keepaliveInterval() {
    return keepaliveInterval;
  }

  TimeSource timeSource() {
    return time;
  }

  private Resources shapeFor(Requirements req) {
    Resources want = req.max();
    if (!menu.isEmpty()) {
      Resources best = null;
      for (Resources shape : menu) {
        if (req.min().fitsIn(shape)) {
          boolean holdsAll = want.fitsIn(shape);
          boolean bestHoldsAll = best != null && want.fitsIn(best);
          if (best == null
              || (holdsAll && (!bestHoldsAll || weight(shape) < weight(best)))
              || (!holdsAll && !bestHoldsAll && weight(shape) > weight(best))) {
            best = shape;
          }
        }
      }
      if (best == null) {
        throw new AllocationException(AllocationException.Kind.NEVER,
            "no alloc shape holds " + req.min() + "; the shapes are " + menu);
      }
      return best;
    }
    if (maxAlloc != null) {
      if (!req.min().fitsIn(maxAlloc)) {
        throw new AllocationException(AllocationException.Kind.NEVER,
            req.min() + " is larger than the largest alloc " + maxAlloc);
      }
      return want.min(maxAlloc).max(req.min());
    }
    return want;
  }

  private double weight(Resources shape) {
    double sum = 0;
    for (String name : shape.names()) {
      double largest = 0;
      for (Resources s : menu) {
        largest = Math.max(largest, s.get(name));
      }
      sum += shape.get(name) / largest;
    }
    return sum;
  }

  /**
   * One allocation request. Answer it once, with {@link #grant()}, {@link #grant(Resources)} or
   * {@link #fail}.
   */
  public final class Request {
    private final Requirements requirements;
    private final Labels labels;
    private final CompletableFuture<Alloc> future = new CompletableFuture<>();

    private Request(Requirements requirements, Labels labels) {
      this.requirements = requirements;
      this.labels = labels;
    }

    /**
     * Returns what the scheduler asked for.
     *
     * @return the request's requirements
     */
    public Requirements requirements() {
      return requirements;
    }

    /**
     * Returns the scheduler's labels.
     *
     * @return the labels given with the request
     */
    public Labels labels() {
      return labels;
    }

    /**
     * Returns true if the scheduler cancelled the request.
     *
     * @return whether the request was cancelled
     */
    public boolean isCancelled() {
      return future.isCancelled();
    }

    /**
     * Returns true once the request was granted, failed or cancelled.
     *
     * @return whether the request has its answer
     */
    public boolean isAnswered() {
      return future.isDone();
    }

    /**
     * Grants an alloc sized by the cluster: the request's {@link Requirements#max()} capped at the
     * largest alloc, or the best shape of the menu.
     *
     * @return the alloc
     */
    public FakeAlloc grant() {
      Resources shape;
      try {
        shape = shapeFor(requirements);
      } catch (AllocationException e) {
        fail(e);
        throw e;
      }
      return grant(shape);
    }

    /**
     * Grants an alloc of exactly {@code resources}.
     *
     * @param resources the alloc's capacity
     * @return the alloc
     */
    public FakeAlloc grant(Resources resources) {
      Objects.requireNonNull(resources, "resources");
      FakeAlloc alloc = new FakeAlloc("fake-" + ids.incrementAndGet(), resources, FakeCluster.this);
      allocs.add(alloc);
      if (!future.complete(alloc)) {
        alloc.free();
      }
      return alloc;
    }

    /**
     * Fails the request with {@code error}.
     *
     * @param error what the request's future fails with
     */
    public void fail(Throwable error) {
      future.completeExceptionally(error);
    }

    @Override
    public String toString() {
      return "request " + requirements;
    }
  }

  /**
   * Builds a {@link FakeCluster}. By default requests wait to be answered by hand, any size may be
   * allocated, execs wait to be ended by hand and keepalives ask to be renewed every 100 ms.
   *
   * <p>Thread-safety: not thread-safe.
   */
  public static final class Builder {
    private @Nullable Resources maxAlloc;
    private final List<Resources> menu = new ArrayList<>();
    private boolean automatic;
    private int quota;
    private @Nullable Duration execDuration;
    private Duration keepaliveInterval = Duration.ofMillis(100);
    private TimeSource time = TimeSource.system();

    private Builder() {}

    /**
     * Sets the largest alloc: larger needs are refused by {@link #canAllocate}, and granted allocs
     * are capped at it.
     *
     * @param maxAlloc the largest alloc
     * @return this builder
     */
    public Builder maxAlloc(Resources maxAlloc) {
      this.maxAlloc = Objects.requireNonNull(maxAlloc, "maxAlloc");
      return this;
    }

    /**
     * Sets the alloc shapes the cluster has; a grant picks the smallest that holds the request.
     *
     * @param shapes the shapes; at least one
     * @return this builder
     */
    public Builder menu(Resources... shapes) {
      if (shapes.length == 0) {
        throw new IllegalArgumentException("menu must not be empty");
      }
      menu.addAll(List.of(shapes));
      return this;
    }

    /**
     * Makes the cluster grant every request at once, sized as {@link Request#grant()} does.
     *
     * @return this builder
     */
    public Builder automatic() {
      this.automatic = true;
      return this;
    }

    /**
     * Limits an automatic cluster to {@code allocs} live allocs; further requests fail with
     * {@link AllocationException.Kind#NOT_NOW}.
     *
     * @param allocs the most live allocs, at least 1
     * @return this builder
     */
    public Builder quota(int allocs) {
      if (allocs < 1) {
        throw new IllegalArgumentException("quota must be >= 1 but was " + allocs);
      }
      this.quota = allocs;
      return this;
    }

    /**
     * Makes every exec succeed by itself {@code duration} after it starts (at once if zero), on the
     * cluster's time source.
     *
     * @param duration how long each exec runs; not negative
     * @return this builder
     */
    public Builder execDuration(Duration duration) {
      if (duration.isNegative()) {
        throw new IllegalArgumentException("exec duration must be >= 0 but was " + duration);
      }
      this.execDuration = duration;
      return this;
    }

    /**
     * Sets the interval allocs ask for between keepalives.
     *
     * @param interval the delay each keepalive answers with
     * @return this builder
     */
    public Builder keepaliveInterval(Duration interval) {
      this.keepaliveInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * Sets the time source for exec durations; default the system's.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Builds the cluster.
     *
     * @return the cluster
     */
    public FakeCluster build() {
      if (maxAlloc != null && !menu.isEmpty()) {
        throw new IllegalStateException("set either a max alloc or a menu, not both");
      }
      return new FakeCluster(this);
    }
  }
}
