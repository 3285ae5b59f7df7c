package org.stowage.testing;

import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/**
 * Grants each request its {@code max()} capped at the largest alloc, and refuses for good one whose
 * minimum does not fit; see {@link AllocPolicy#maxAlloc}.
 *
 * <p>Thread-safety: immutable.
 */
final class MaxAllocPolicy implements AllocPolicy {

  private final Resources largest;

  MaxAllocPolicy(Resources largest) {
    this.largest = largest;
  }

  @Override
  public AllocAnswer answer(FakeCluster.Request request) {
    Requirements req = request.requirements();
    if (!req.min().fitsIn(largest)) {
      return AllocAnswer.never(req.min() + " is larger than the largest alloc " + largest);
    }
    return AllocAnswer.grant(req.max().min(largest).max(req.min()));
  }

  @Override
  public Admission admission(Resources resources) {
    return resources.fitsIn(largest) ? Admission.yes()
        : Admission.never("the largest alloc is " + largest);
  }

  @Override
  public String toString() {
    return "max alloc " + largest;
  }
}
