package org.stowage.scheduler.internal;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Cluster;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;

/**
 * The check the cluster backends (local, Slurm) make first in {@code allocate}: whether the
 * cluster could ever grant the minimum. Not API.
 *
 * <p>Thread-safety: stateless; as thread-safe as the cluster's {@link Cluster#canAllocate}.
 */
public final class Admissions {

  private Admissions() {}

  /**
   * Checks the arguments of {@link Cluster#allocate} and asks {@code cluster} whether it could ever
   * grant {@code requirements.min()}.
   *
   * @param cluster the cluster to ask
   * @param requirements the requirements given to {@code allocate}
   * @param labels the labels given to {@code allocate}
   * @return null if it could, else an {@link AllocationException} of kind {@code NEVER} giving the
   *     cluster's reason, for {@code allocate} to fail its future with
   * @throws NullPointerException if {@code requirements} or {@code labels} is null
   */
  public static @Nullable AllocationException never(Cluster cluster, Requirements requirements,
      Labels labels) {
    Objects.requireNonNull(requirements, "requirements");
    Objects.requireNonNull(labels, "labels");
    Admission admission = cluster.canAllocate(requirements.min());
    if (admission.possible()) {
      return null;
    }
    return new AllocationException(AllocationException.Kind.NEVER,
        requirements.min() + " can never be allocated: " + admission.reason());
  }
}
