package org.stowage.testing;

import static org.stowage.scheduler.internal.Checks.requireNotNegative;
import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requireUnset;

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
 * A {@link Cluster} for tests. Each allocation request is answered as the cluster's
 * {@link AllocPolicy} says: by hand (the default: take the next request, look at its
 * requirements, grant or fail it), or at once, granting an alloc sized by the largest alloc shape
 * or a menu of shapes, or refusing it. Each exec its allocs start ends as its {@link ExecPolicy}
 * says. Every request is recorded, and {@link #checkNoLeaks()} finds allocs that were never freed
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
 * <p><b>Execs wait for the test unless told otherwise</b>, even on an
 * {@linkplain Builder#automatic() automatic} cluster: a task runs until the test ends its exec
 * ({@link FakeAlloc#takeExec}, then {@link FakeExec#succeed()}). For a cluster that runs
 * everything by itself, add an exec policy:
 *
 * <pre>{@code
 * FakeCluster cluster = FakeCluster.newBuilder()
 *     .automatic().execPolicy(ExecPolicy.succeed()).build();
 * }</pre>
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FakeCluster implements Cluster {

  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  private final ClusterPolicies policies;

  private final int id = CLUSTERS.incrementAndGet();
  private final AtomicInteger ids = new AtomicInteger();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Request> unanswered = new LinkedBlockingQueue<>();
  private final List<FakeAlloc> allocs = new CopyOnWriteArrayList<>();

  private FakeCluster(ClusterPolicies policies) {
    this.policies = policies;
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the defaults
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Records the request and answers it as the cluster's {@link AllocPolicy} says: the returned
   * future is already complete unless the request is left to the test. An exception the policy
   * throws fails the future with it.
   */
  @Override
  public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
    Request r = new Request(requirements, labels);
    requests.add(r);
    if (policies.answer(r)) {
      unanswered.add(r);
    }
    return r.future;
  }

  /**
   * Says never to needs larger than the {@linkplain Builder#maxAlloc largest alloc} or than every
   * shape of the {@linkplain Builder#menu menu}, or that the {@linkplain Builder#allocPolicy alloc
   * policy}'s {@link AllocPolicy#admission} refuses; possible otherwise.
   */
  @Override
  public Admission canAllocate(Resources resources) {
    return policies.admission(resources);
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
    LeakCheck.check(allocs);
  }

  int id() {
    return id;
  }

  /** How the cluster answers, execs and keepalives of its allocs included. */
  ClusterPolicies policies() {
    return policies;
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
     * Returns the cluster the request was sent to, for a policy that answers by its state (for
     * example {@link FakeCluster#liveAllocs()}).
     *
     * @return the cluster
     */
    public FakeCluster cluster() {
      return FakeCluster.this;
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
     * @throws AllocationException of kind {@code NEVER} if no alloc of the cluster can hold the
     *     request's minimum; the request then fails with it
     */
    public FakeAlloc grant() {
      AllocAnswer sized = policies.sizing().answer(this);
      Resources shape = sized.shape();
      if (sized.kind() != AllocAnswer.Kind.GRANT || shape == null) {
        AllocationException e = sized.kind() == AllocAnswer.Kind.REFUSE ? sized.refusal()
            : new AllocationException(AllocationException.Kind.NEVER,
                "the cluster's sizing answered " + sized);
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
   * Builds a {@link FakeCluster}. Each option may be set once, and each setter refuses a bad value
   * at once; {@link #build()} refuses options that contradict each other. By default requests wait
   * to be answered by hand, any size may be allocated, execs wait to be ended by hand and
   * keepalives ask to be renewed every 100 ms.
   *
   * <p>Thread-safety: not thread-safe.
   */
  public static final class Builder {

    private @Nullable Resources maxAlloc;
    private @Nullable List<Resources> menu;
    private @Nullable Boolean automatic;
    private @Nullable AllocPolicy allocPolicy;
    private @Nullable Integer quota;
    private @Nullable Duration execDuration;
    private @Nullable ExecPolicy execPolicy;
    private @Nullable Duration keepaliveInterval;
    private @Nullable TimeSource time;

    private Builder() {}

    /**
     * Sets the largest alloc: larger needs are refused by {@link #canAllocate}, and allocs sized by
     * the cluster ({@link Request#grant()}, {@link #automatic()}, {@link AllocAnswer#grant()}) are
     * the request's {@code max()} capped at it, as {@link AllocPolicy#maxAlloc} grants. Default:
     * any size, the request's {@code max()}. Not with a {@link #menu}.
     *
     * @param maxAlloc the largest alloc
     * @return this builder
     */
    public Builder maxAlloc(Resources maxAlloc) {
      requireUnset(this.maxAlloc, "max alloc");
      this.maxAlloc = Objects.requireNonNull(maxAlloc, "maxAlloc");
      return this;
    }

    /**
     * Sets the alloc shapes the cluster has: needs no shape holds are refused by
     * {@link #canAllocate}, and an alloc sized by the cluster is the smallest shape that holds the
     * whole request, as {@link AllocPolicy#menu} grants. Default: any size. Not with a
     * {@link #maxAlloc}.
     *
     * @param shapes the shapes; at least one
     * @return this builder
     */
    public Builder menu(Resources... shapes) {
      requireUnset(this.menu, "menu");
      Objects.requireNonNull(shapes, "shapes");
      this.menu = new MenuPolicy(java.util.Arrays.asList(shapes)).shapes();
      return this;
    }

    /**
     * Makes the cluster grant every request at once, sized as {@link Request#grant()} does: the
     * {@linkplain AllocPolicy#grantAll() grant-all policy}. Its execs still wait for the test to
     * end them unless an {@link #execPolicy} or {@link #execDuration} says otherwise. Not with an
     * {@link #allocPolicy}.
     *
     * @return this builder
     */
    public Builder automatic() {
      requireUnset(this.automatic, "automatic");
      this.automatic = true;
      return this;
    }

    /**
     * Sets how the cluster answers each allocation request; default {@link AllocPolicy#byHand()},
     * every request waiting for the test. Not with {@link #automatic()}, which is
     * {@code allocPolicy(AllocPolicy.grantAll())}.
     *
     * @param policy answers each request
     * @return this builder
     */
    public Builder allocPolicy(AllocPolicy policy) {
      requireUnset(this.allocPolicy, "alloc policy");
      this.allocPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Limits the cluster to {@code allocs} live allocs: while it has that many, further requests
     * fail with {@link AllocationException.Kind#NOT_NOW}, whatever the policy would have answered
     * ({@link AllocPolicy#quota}); the others are answered as without a quota, by hand included.
     * Default: no limit.
     *
     * @param allocs the most live allocs, at least 1
     * @return this builder
     */
    public Builder quota(int allocs) {
      requireUnset(this.quota, "quota");
      this.quota = requirePositive(allocs, "quota");
      return this;
    }

    /**
     * Makes every exec succeed by itself {@code duration} after it starts (at once if zero), on the
     * cluster's time source: {@code execPolicy(ExecPolicy.succeedAfter(duration))}. Not with an
     * {@link #execPolicy}.
     *
     * @param duration how long each exec runs; not negative
     * @return this builder
     */
    public Builder execDuration(Duration duration) {
      requireUnset(this.execDuration, "exec duration");
      this.execDuration = requireNotNegative(duration, "exec duration");
      return this;
    }

    /**
     * Sets how each exec ends; default {@link ExecPolicy#byHand()}, every exec running until the
     * test ends it or the scheduler kills it. {@link ExecPolicy#succeed()} ends each at once. Not
     * with an {@link #execDuration}.
     *
     * @param policy answers each exec as it starts
     * @return this builder
     */
    public Builder execPolicy(ExecPolicy policy) {
      requireUnset(this.execPolicy, "exec policy");
      this.execPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sets the interval allocs ask for between keepalives; default 100 ms.
     *
     * @param interval the delay each keepalive answers with; positive
     * @return this builder
     */
    public Builder keepaliveInterval(Duration interval) {
      requireUnset(this.keepaliveInterval, "keepalive interval");
      this.keepaliveInterval = requirePositive(interval, "keepalive interval");
      return this;
    }

    /**
     * Sets the time source of exec durations and delays; default {@link TimeSource#system()}.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      requireUnset(this.time, "time source");
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Builds the cluster. The builder may be used again to build another.
     *
     * @return the cluster
     * @throws IllegalStateException if options contradict each other: a max alloc and a menu,
     *     {@code automatic()} and an alloc policy, or an exec duration and an exec policy
     */
    public FakeCluster build() {
      Resources largest = maxAlloc;
      List<Resources> shapes = menu;
      if (largest != null && shapes != null) {
        throw new IllegalStateException("set either a max alloc or a menu, not both: max alloc "
            + largest + ", menu " + shapes);
      }
      AllocPolicy custom = allocPolicy;
      if (automatic != null && custom != null) {
        throw new IllegalStateException("set either automatic() or an alloc policy, not both:"
            + " automatic() is allocPolicy(AllocPolicy.grantAll())");
      }
      Duration duration = execDuration;
      ExecPolicy execs = execPolicy;
      if (duration != null && execs != null) {
        throw new IllegalStateException("set either an exec duration or an exec policy, not both:"
            + " execDuration(" + duration + ") is execPolicy(ExecPolicy.succeedAfter(" + duration
            + "))");
      }
      return new FakeCluster(ClusterPolicies.of(largest, shapes, automatic != null, custom, quota,
          duration, execs, keepaliveInterval, time));
    }
  }
}
