package org.stowage.scheduler;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.stowage.repository.Repository;
import org.stowage.testing.InMemoryRepository;

/**
 * A cluster whose allocs run every exec to success at once and remember nothing, for tests that
 * push many tasks through and measure what the scheduler itself holds.
 */
final class InstantCluster implements Cluster {

  private final Resources shape;
  private final AtomicInteger ids = new AtomicInteger();
  final AtomicInteger freed = new AtomicInteger();

  InstantCluster(Resources shape) {
    this.shape = shape;
  }

  int granted() {
    return ids.get();
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
