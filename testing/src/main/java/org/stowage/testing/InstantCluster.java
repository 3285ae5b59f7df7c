package org.stowage.testing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/**
 * A cluster that grants every request at once with allocs of one shape, whose execs succeed as
 * soon as they start and which remember nothing: for load tests and benchmarks that push many
 * tasks through a scheduler and measure the scheduler itself. Use {@link FakeCluster} to script
 * and check what happens.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class InstantCluster implements Cluster {

  private final Resources shape;
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger freed = new AtomicInteger();

  /**
   * Creates a cluster whose allocs all have {@code shape}.
   *
   * @param shape the capacity of every alloc
   */
  public InstantCluster(Resources shape) {
    this.shape = shape;
  }

  /**
   * Returns how many allocs were granted.
   *
   * @return the number of allocs granted
   */
  public int granted() {
    return ids.get();
  }

  /**
   * Returns how many allocs were freed.
   *
   * @return the number of allocs freed
   */
  public int freed() {
    return freed.get();
  }

  @Override
  public CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels) {
    String id = "instant-" + ids.incrementAndGet();
    Repository repo = new InMemoryRepository("repo of " + id);
    Alloc alloc = new Alloc() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public Resources resources() {
        return shape;
      }

      @Override
      public Repository repository() {
        return repo;
      }

      @Override
      public Exec start(ExecRequest request) {
        CompletableFuture<ExecResult> done = CompletableFuture.completedFuture(ExecResult.success());
        return new Exec() {
          @Override
          public String id() {
            return request.id();
          }

          @Override
          public CompletableFuture<ExecResult> result() {
            return done;
          }

          @Override
          public void kill() {}
        };
      }

      @Override
      public CompletableFuture<Duration> keepalive() {
        return CompletableFuture.completedFuture(Duration.ofMinutes(1));
      }

      @Override
      public CompletableFuture<Void> free() {
        freed.incrementAndGet();
        return CompletableFuture.completedFuture(null);
      }
    };
    return CompletableFuture.completedFuture(alloc);
  }

  @Override
  public Admission canAllocate(Resources resources) {
    return resources.fitsIn(shape) ? Admission.yes() : Admission.never("the only shape is " + shape);
  }
}
