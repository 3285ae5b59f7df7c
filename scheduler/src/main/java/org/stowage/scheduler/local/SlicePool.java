package org.stowage.scheduler.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/**
 * The cpu and memory a {@link LocalCluster} hands out in slices: its total, what no alloc holds,
 * and the slice a request gets. Only cpu and memory are accounted; disk is granted as asked, on
 * the work directory's file system, and any other resource is one the machine lacks. Pure: no
 * threads, no files.
 *
 * <p>Concurrency: not thread-safe; the cluster calls it under its monitor.
 */
final class SlicePool {

  private static final Set<String> ACCOUNTED = Set.of(Resources.CPU, Resources.MEM);

  private final Resources total;
  private Resources free;

  /** Creates a pool of {@code total}, all of it free. */
  SlicePool(Resources total) {
    this.total = total;
    this.free = total;
  }

  /** Returns the most the pool hands out at once. */
  Resources total() {
    return total;
  }

  /** Returns what no slice holds now. */
  Resources free() {
    return free;
  }

  /**
   * Says whether a slice of {@code resources} could ever be handed out: never if it needs more
   * cpu or memory than the total, or any resource other than cpu, memory and disk; the reason
   * names the total, for example {@code this machine has {cpu:2 mem:23GiB}}.
   */
  Admission admit(Resources resources) {
    List<String> lacking = new ArrayList<>();
    for (String name : resources.names()) {
      if (!ACCOUNTED.contains(name) && !Resources.DISK.equals(name)) {
        lacking.add(name);
      }
    }
    if (!lacking.isEmpty()) {
      lacking.sort(null);
      return Admission.never("this machine has " + total + " and no " + String.join(" or ",
          lacking));
    }
    if (!accounted(resources).fitsIn(total)) {
      return Admission.never("this machine has " + total);
    }
    return Admission.yes();
  }

  /**
   * Returns the slice to grant {@code requirements} now, without taking it: as much of its
   * {@code max()} as is free, at least its {@code min()}, in cpu and memory; or null if the
   * minimum is not free now.
   */
  @Nullable Resources sliceFor(Requirements requirements) {
    Resources min = accounted(requirements.min());
    if (!min.fitsIn(free)) {
      return null;
    }
    return accounted(requirements.max()).min(free).max(min);
  }

  /** Takes {@code slice}, which {@link #sliceFor} returned, out of the free pool. */
  void take(Resources slice) {
    free = free.minus(slice);
  }

  /** Returns the cpu and memory of an alloc's {@code resources} to the free pool. */
  void giveBack(Resources resources) {
    free = free.plus(accounted(resources)).min(total);
  }

  /** Returns the cpu and memory of {@code r}: what the pool accounts. */
  static Resources accounted(Resources r) {
    return Resources.of(Resources.CPU, r.get(Resources.CPU), Resources.MEM, r.get(Resources.MEM));
  }
}
