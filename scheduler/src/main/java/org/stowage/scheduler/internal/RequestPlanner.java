package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.stowage.scheduler.WaitReason;

/**
 * What to ask the cluster for, for the tasks that placement left waiting. Not API.
 *
 * <p>First the requests in flight are credited with all the room they asked for (Reflow credits a
 * request with one task's worth and then asks again for the others): the room the tasks already
 * counting on a request leave is filled, as an alloc would be, with the waiting tasks that fit it
 * best, and those wait for it too. What remains is packed
 * into new requests ({@link Packer#formBin}), each sized to hold several tasks, as many as the
 * pending limit allows, unless the scheduler is backing off after a refusal. A task whose need not
 * even an alloc of its own size could meet is given up on. The rest wait for the pending limit.
 *
 * <p>Pure: no threads and no clock (whether to back off is passed in). It takes the tasks it
 * decides on out of the index it is given (the caller puts back those that still wait), and
 * changes nothing else.
 *
 * <p>Concurrency: not thread-safe; the engine's thread owns it.
 */
final class RequestPlanner {

  /**
   * What to ask for.
   *
   * @param credited for each request in flight, in the order of the credits given, the tasks that
   *     now count on it too
   * @param requests the new requests, each with the tasks it is for
   * @param unsatisfiable the tasks the cluster refused to allocate for, to give up on
   * @param restWait why the tasks left in the index wait: backing off, or the pending limit
   */
  record Plan(List<List<TaskRecord>> credited, List<Packer.Bin> requests,
      List<TaskRecord> unsatisfiable, WaitReason restWait) {}

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
   * Plans the requests for the tasks in {@code left}.
   *
   * @param left the tasks waiting; the tasks decided on are taken out, the rest stay
   * @param credits the room each request in flight has left, by dimension; not changed
   * @param newRequests how many new requests may be sent (the pending limit less those in flight)
   * @param backingOff whether to send none, after a refusal
   * @param admissible whether the cluster could provide an alloc of the given vector
   * @return the plan
   */
  Plan plan(WaitingIndex left, List<double[]> credits, int newRequests, boolean backingOff,
      Predicate<double[]> admissible) {
    List<List<TaskRecord>> credited = new ArrayList<>(credits.size());
    double[] smallest = left.smallest();
    for (double[] c : credits) {
      boolean mayFit = smallest != null && !left.isEmpty() && Packer.fits(smallest, c);
      credited.add(mayFit ? left.fill(c) : List.of());
    }
    List<Packer.Bin> requests = new ArrayList<>();
    List<TaskRecord> unsatisfiable = new ArrayList<>();
    if (backingOff) {
      return new Plan(credited, requests, unsatisfiable, WaitReason.BACKING_OFF);
    }
    int room = newRequests;
    Predicate<double[]> asked = remembered(admissible);
    while (room > 0 && !left.isEmpty()) {
      Packer.Bin bin = packer.formBin(left, minAlloc, asked);
      if (bin == null) {
        WaitingIndex.Group head = left.headGroup();
        if (head == null) {
          break;
        }
        unsatisfiable.add(left.poll(head));
        continue;
      }
      requests.add(bin);
      room--;
    }
    return new Plan(credited, requests, unsatisfiable, WaitReason.PENDING_LIMIT);
  }

  /**
   * Returns {@code admissible}, remembering its answers for this plan: the bins of one plan ask
   * the cluster about the same sizes again and again.
   */
  private static Predicate<double[]> remembered(Predicate<double[]> admissible) {
    Map<Vector, Boolean> answers = new HashMap<>();
    return v -> answers.computeIfAbsent(new Vector(v.clone()), k -> admissible.test(k.v()));
  }

  /** A vector as a key: equal when its dimensions are. */
  private record Vector(double[] v) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Vector other && Arrays.equals(v, other.v);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(v);
    }

    @Override
    public String toString() {
      return Arrays.toString(v);
    }
  }
}
