package org.stowage.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Task;

/**
 * Seeded generators of task sizes and tasks, for tests, simulations and benchmarks. The same seed
 * always gives the same workload.
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class Workloads {

  private static final double[] CPUS = {0.5, 1, 2, 4, 8};
  private static final double[] MEMS_GIB = {1, 2, 4, 8, 16, 32};

  private Workloads() {}

  /**
   * Returns {@code count} sizes from 0.5 cpu / 1 GiB to 8 cpu / 32 GiB: cpu drawn uniformly from
   * {0.5, 1, 2, 4, 8} and memory, independently, from {1, 2, 4, 8, 16, 32} GiB. Independent
   * dimensions are the hard case for packing: shapes do not line up.
   *
   * @param seed the seed of the random draws; the same seed gives the same sizes
   * @param count how many sizes to return
   * @return the sizes
   */
  public static List<Resources> mixedSizes(long seed, int count) {
    Random random = new Random(seed);
    List<Resources> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      double cpu = CPUS[random.nextInt(CPUS.length)];
      double mem = MEMS_GIB[random.nextInt(MEMS_GIB.length)] * Resources.GiB;
      out.add(Resources.of(Resources.CPU, cpu, Resources.MEM, mem));
    }
    return out;
  }

  /**
   * Returns one task per size, each running {@code command}, named {@code <prefix>-<index>}.
   *
   * @param sizes the tasks' resources, one task each
   * @param prefix the stem of the tasks' names
   * @param command the program and its arguments
   * @return the tasks, in the order of {@code sizes}
   */
  public static List<Task> tasks(List<Resources> sizes, String prefix, String... command) {
    List<Task> out = new ArrayList<>(sizes.size());
    for (int i = 0; i < sizes.size(); i++) {
      out.add(Task.newBuilder()
          .name(prefix + "-" + i)
          .resources(sizes.get(i))
          .command(command)
          .build());
    }
    return out;
  }

  /**
   * Returns the fewest allocs of {@code capacity} that could possibly hold {@code sizes} at once:
   * the largest over dimensions of ceil(total need / capacity). No packing can do better.
   *
   * @param sizes the needs to hold
   * @param capacity the capacity of one alloc
   * @return the least number of allocs
   */
  public static int lowerBound(List<Resources> sizes, Resources capacity) {
    Resources total = Resources.empty();
    for (Resources r : sizes) {
      total = total.plus(r);
    }
    int bound = 0;
    for (String name : total.names()) {
      double cap = capacity.get(name);
      if (cap <= 0) {
        throw new IllegalArgumentException("capacity has no " + name + ": " + capacity);
      }
      bound = Math.max(bound, (int) Math.ceil(total.get(name) / cap - 1e-9));
    }
    return bound;
  }
}
