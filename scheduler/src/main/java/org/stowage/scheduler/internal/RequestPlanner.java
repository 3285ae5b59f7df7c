package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.stowage.scheduler.WaitReason;

/**
 * What to ask the cluster for, for the tasks that placement left waiting. Not API.
 *
 * <p>First the requests in flight are credited, shape by shape, with all the room they asked for
 * (Reflow credits a request with one task's worth and then asks again for the others): the tasks
 * that fit a pending request's credit wait for it. What remains is packed into new requests
 * ({@link Packer#formBin}), each sized to hold several tasks, as many as the pending limit allows,
 * unless the scheduler is backing off after a refusal. A task whose need not even an alloc of its
 * own size could meet is given up on. The rest wait for the pending limit.
 *
 * <p>Pure: no threads and no clock (whether to back off is passed in). It polls the tasks it
 * decides on from the groups it is given, and changes nothing else.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class RequestPlanner {

  /**
   * What to ask for.
   *
   * @param credited the tasks that wait for a request in flight
   * @param requests the new requests, each with the tasks it is for
   * @param unsatisfiable the tasks the cluster refused to allocate for, to give up on
   * @param rest the tasks left, which wait for {@code restWait}
   * @param restWait why the rest wait: backing off, or the pending limit
   */
  record Plan(List<TaskRecord> credited, List<Packer.Bin<TaskRecord>> requests,
      List<TaskRecord> unsatisfiable, List<TaskRecord> rest, WaitReason restWait) {}

  private final Packer packer;
  private final double[] minAlloc;

  /**
   * Creates a planner.
   *
   * @param packer the packing math, whose scale the engine widens
   * @param minAlloc the smallest alloc to ask for, by dimension
   */
  RequestPlanner(Packer packer, double[] minAlloc) {
    this.packer = packer;
    this.minAlloc = minAlloc;
  }

  /**
   * Plans the requests for {@code left}.
   *
   * @param left the tasks waiting, grouped; the tasks decided on are polled from it
   * @param credits the room each request in flight asked for, by dimension; not changed
   * @param newRequests how many new requests may be sent (the pending limit less those in flight)
   * @param backingOff whether to send none, after a refusal
   * @param admissible whether the cluster could provide an alloc of the given vector
   * @return the plan
   */
  Plan plan(Packer.Groups<TaskRecord> left, List<double[]> credits, int newRequests,
      boolean backingOff, Predicate<double[]> admissible) {
    List<double[]> credit = new ArrayList<>(credits.size());
    for (double[] c : credits) {
      credit.add(c.clone());
    }
    List<TaskRecord> credited = new ArrayList<>();
    for (Packer.Group<TaskRecord> g : left.groups) {
      while (!g.tasks.isEmpty()) {
        double[] best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (double[] c : credit) {
          double score = packer.fitScore(g.need, c);
          if (score < bestScore) {
            best = c;
            bestScore = score;
          }
        }
        if (best == null) {
          break;
        }
        int n = Packer.howMany(g.need, best, g.tasks.size());
        for (int i = 0; i < n; i++) {
          Packer.subtract(best, g.need);
          credited.add(g.poll());
        }
      }
    }
    List<Packer.Bin<TaskRecord>> requests = new ArrayList<>();
    List<TaskRecord> unsatisfiable = new ArrayList<>();
    if (backingOff) {
      return new Plan(credited, requests, unsatisfiable, left.remaining(), WaitReason.BACKING_OFF);
    }
    int room = newRequests;
    while (room > 0 && !left.isEmpty()) {
      Packer.Bin<TaskRecord> bin = packer.formBin(left, minAlloc, admissible);
      if (bin == null) {
        Packer.Group<TaskRecord> head = left.head();
        if (head == null) {
          break;
        }
        unsatisfiable.add(head.poll());
        continue;
      }
      requests.add(bin);
      room--;
    }
    return new Plan(credited, requests, unsatisfiable, left.remaining(), WaitReason.PENDING_LIMIT);
  }
}
