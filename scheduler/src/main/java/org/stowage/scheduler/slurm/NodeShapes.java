package org.stowage.scheduler.slurm;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/**
 * The cpus and memory of a Slurm cluster's nodes, as {@code sinfo} said when the cluster was
 * built, and what follows from them: whether a job could ever fit one node, and the job to ask
 * for a request. Pure: no threads, no Slurm.
 *
 * <p>Thread-safety: immutable.
 */
final class NodeShapes {

  /** The resources a job can hold; disk is granted as asked, on the shared directory. */
  private static final Set<String> HELD = Set.of(Resources.CPU, Resources.MEM, Resources.DISK);

  /** The job to ask Slurm for: whole cpus and whole MiB. */
  record Job(long cpus, long mib) {}

  private final List<Resources> nodes;
  private final Resources largest;

  /**
   * Takes the nodes' shapes, each {@code {cpu:N mem:BYTES}}.
   *
   * @param nodes the shapes, at least one
   */
  NodeShapes(List<Resources> nodes) {
    this.nodes = List.copyOf(nodes);
    Resources max = Resources.empty();
    for (Resources node : nodes) {
      if (node.get(Resources.CPU) > max.get(Resources.CPU)
          || node.get(Resources.CPU) == max.get(Resources.CPU)
          && node.get(Resources.MEM) > max.get(Resources.MEM)) {
        max = node;
      }
    }
    this.largest = max;
  }

  /** Returns the node with the most cpus, of those the one with the most memory. */
  Resources largest() {
    return largest;
  }

  /**
   * Says whether a job of {@code resources} fits one node: never if it needs more cpu or memory
   * than every node has, or any resource other than cpu, memory and disk; the reason names the
   * largest node.
   */
  Admission admit(Resources resources) {
    List<String> lacking = new ArrayList<>();
    for (String name : resources.names()) {
      if (!HELD.contains(name)) {
        lacking.add(name);
      }
    }
    if (!lacking.isEmpty()) {
      lacking.sort(null);
      return Admission.never("the largest Slurm node has " + largest + " and no "
          + String.join(" or ", lacking));
    }
    Resources need = Resources.of(Resources.CPU, resources.get(Resources.CPU), Resources.MEM,
        resources.get(Resources.MEM));
    for (Resources node : nodes) {
      if (need.fitsIn(node)) {
        return Admission.yes();
      }
    }
    return Admission.never("the largest Slurm node has " + largest);
  }

  /**
   * Returns the job to ask for {@code requirements}: its {@code max()} capped at the largest node,
   * at least its {@code min()}, in whole cpus (at least one) and whole MiB, rounded up.
   */
  Job jobFor(Requirements requirements) {
    Resources min = requirements.min();
    Resources max = requirements.max();
    long cpus = Math.max(1, Math.max((long) Math.ceil(min.get(Resources.CPU) - 1e-9),
        (long) Math.ceil(Math.min(max.get(Resources.CPU), largest.get(Resources.CPU)) - 1e-9)));
    long mib = Math.max(SlurmCli.mib(min.get(Resources.MEM)),
        SlurmCli.mib(Math.min(max.get(Resources.MEM), largest.get(Resources.MEM))));
    return new Job(cpus, mib);
  }
}
