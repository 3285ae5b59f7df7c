package org.stowage.testing;

import java.lang.management.ManagementFactory;

/**
 * Heap measurements for memory tests and benchmarks.
 *
 * <p>Thread-safety: stateless.
 */
public final class Heap {

  private Heap() {}

  /**
   * Returns the heap in use after asking for a full collection a few times: the least of the
   * readings, so garbage that one collection missed does not count.
   *
   * @return the heap in use, in bytes
   */
  public static long usedAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
