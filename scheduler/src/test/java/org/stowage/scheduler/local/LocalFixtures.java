package org.stowage.scheduler.local;

import java.nio.file.Path;
import java.time.Duration;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;

/** Helpers shared by the local cluster's tests, which run real processes. */
final class LocalFixtures {

  static final Duration WAIT = Duration.ofSeconds(20);
  static final Resources MACHINE = Resources.of(Resources.CPU, 2, Resources.MEM, 4 * Resources.GiB);

  private LocalFixtures() {}

  /** A cluster of {@link #MACHINE} with its work directory under {@code dir}. */
  static LocalCluster cluster(Path dir) {
    return LocalCluster.newBuilder().cpu(2).memory(4 * Resources.GiB).workDir(dir).build();
  }

  /** A scheduler that packs at once and retries refused allocations quickly. */
  static Scheduler.Builder scheduler(LocalCluster cluster, Repository repository) {
    return Scheduler.newBuilder()
        .cluster(cluster)
        .repository(repository)
        .drainTimeout(Duration.ofMillis(20))
        .allocBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .closeTimeout(WAIT);
  }
}
