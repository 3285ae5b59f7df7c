package org.stowage.scheduler.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/** What a Slurm cluster's node shapes decide: what fits, and the job to ask for; needs no Slurm. */
class NodeShapesTest {

  private static Resources node(double cpu, long memory) {
    return Resources.of(Resources.CPU, cpu, Resources.MEM, memory);
  }

  /** A node with much memory and few cpus, and one the other way round. */
  private static final NodeShapes MIXED = new NodeShapes(
      List.of(node(4, 16 * Resources.GiB), node(8, 8 * Resources.GiB)));

  @Test
  void theLargestNodeHasTheMostCpusThenTheMostMemory() {
    NodeShapes shapes = new NodeShapes(List.of(node(4, 32 * Resources.GiB),
        node(8, 4 * Resources.GiB), node(8, 16 * Resources.GiB), node(8, 8 * Resources.GiB)));

    assertEquals(node(8, 16 * Resources.GiB), shapes.largest());
  }

  @Test
  void aJobFitsIfOneNodeHoldsItNotOnlyTheLargest() {
    Admission more = MIXED.admit(node(2, 12 * Resources.GiB));
    Admission both = MIXED.admit(node(8, 16 * Resources.GiB));

    assertTrue(more.possible(), "the node of 4 cpus holds 12 GiB: " + more.reason());
    assertFalse(both.possible(), "no node has 8 cpus and 16 GiB");
    assertEquals("the largest Slurm node has {cpu:8 mem:8GiB}", both.reason());
  }

  @Test
  void diskIsGrantedAsAskedAndAnyOtherResourceNever() {
    Admission disk = MIXED.admit(Resources.of(Resources.CPU, 1, Resources.DISK, 1e15));
    Admission gpu = MIXED.admit(Resources.of(Resources.CPU, 1, "gpu", 1, "fpga", 1));

    assertTrue(disk.possible(), disk.reason());
    assertFalse(gpu.possible());
    assertEquals("the largest Slurm node has {cpu:8 mem:8GiB} and no fpga or gpu", gpu.reason());
  }

  @Test
  void theJobAsksForTheMaximumInWholeCpusAndMibRoundedUp() {
    // max: {cpu:2 mem:4 x (100 MiB + 1 byte)}.
    Requirements r = new Requirements(node(0.5, 100 * Resources.MiB + 1), 3);

    assertEquals(new NodeShapes.Job(2, 401), MIXED.jobFor(r));
  }

  @Test
  void theJobIsCappedAtTheLargestNodeButNeverBelowTheMinimum() {
    Requirements wide = new Requirements(node(3, 6 * Resources.GiB), 3);
    Requirements memoryOnly = new Requirements(Resources.of(Resources.MEM, Resources.GiB), 0);
    Requirements big = new Requirements(node(6, 12 * Resources.GiB), 0);

    assertEquals(new NodeShapes.Job(8, 8 * 1024), MIXED.jobFor(wide));
    assertEquals(new NodeShapes.Job(1, 1024), MIXED.jobFor(memoryOnly), "at least one cpu");
    assertEquals(new NodeShapes.Job(6, 12 * 1024), MIXED.jobFor(big));
  }
}
