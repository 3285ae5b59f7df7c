package org.stowage.scheduler;

import java.util.concurrent.CompletableFuture;

/**
 * Where allocs come from (service provider interface): a local machine, a batch system such as
 * Slurm, a cloud, or a fake in tests.
 *
 * <p>Thread-safety: implementations must be thread-safe. {@link #canAllocate} is called on the
 * scheduler's own thread and must answer at once from what the cluster already knows, without I/O.
 */
public interface Cluster {

  /**
   * Requests an alloc of at least {@code requirements.min()}, ideally as large as
   * {@code requirements.max()}. Must not block: the work happens behind the returned future.
   *
   * <p>The future completes with the alloc, or exceptionally with an {@link AllocationException}
   * whose kind says whether to try again later ({@link AllocationException.Kind#NOT_NOW}: quota,
   * capacity, rate limit) or never ({@link AllocationException.Kind#NEVER}); any other exception
   * is treated as NOT_NOW. The scheduler may cancel the future (when it shuts down): the cluster
   * must then not leave an allocation behind, and must free one that arrives after all.
   *
   * @param requirements the smallest useful alloc and how much larger the scheduler would like it
   * @param labels the scheduler's labels, for example to tag what the cluster creates
   * @return a future completing with the alloc
   */
  CompletableFuture<Alloc> allocate(Requirements requirements, Labels labels);

  /**
   * Says whether an alloc holding {@code resources} could ever be had from this cluster. The
   * scheduler fails at once a task whose needs get {@link Admission#never}, with the reason given,
   * and sizes its requests so that their {@link Requirements#max()} is admissible.
   *
   * @param resources the capacity the alloc would need
   * @return whether such an alloc is possible, and if not, why
   */
  Admission canAllocate(Resources resources);
}
