package org.stowage.testing;

import static org.stowage.scheduler.internal.Checks.requirePositive;

import java.util.List;
import java.util.Objects;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Resources;

/**
 * Decides how a {@link FakeCluster} answers each allocation request, as a MockWebServer
 * {@code Dispatcher} decides each response: grant an alloc, refuse the request ({@code NOT_NOW}
 * or {@code NEVER}, with a message), or leave it for the test to answer by hand.
 *
 * <pre>{@code
 * AtomicInteger asked = new AtomicInteger();
 * FakeCluster cluster = FakeCluster.newBuilder()
 *     .allocPolicy(request -> request.requirements().min().get("gpu") > 0
 *         ? AllocAnswer.never("no gpu here")
 *         : asked.incrementAndGet() <= 2 ? AllocAnswer.notNow("warming up")
 *         : AllocAnswer.grant())
 *     .build();
 * }</pre>
 *
 * <p>The builder's options are policies of this kind: {@link FakeCluster.Builder#automatic()} is
 * {@link #grantAll()}, {@link FakeCluster.Builder#quota} wraps the policy in {@link #quota}, and
 * {@link FakeCluster.Builder#maxAlloc} and {@link FakeCluster.Builder#menu} size the cluster's
 * allocs as {@link #maxAlloc} and {@link #menu} do.
 *
 * <p>Thread-safety: implementations must be thread-safe. {@link #answer} is called once per
 * request, on the thread that called {@link org.stowage.scheduler.Cluster#allocate}, and must not
 * block; {@link #admission} is called on the thread that called
 * {@link org.stowage.scheduler.Cluster#canAllocate}, and must answer at once.
 */
@FunctionalInterface
public interface AllocPolicy {

  /**
   * Answers one request. The request is already recorded in {@link FakeCluster#requests()}. An
   * exception thrown here fails the request with it.
   *
   * @param request what the scheduler asked for
   * @return how to answer it; not null
   */
  AllocAnswer answer(FakeCluster.Request request);

  /**
   * Says whether an alloc of {@code resources} could ever be granted, for the cluster's
   * {@link org.stowage.scheduler.Cluster#canAllocate}. Default: possible.
   *
   * @param resources the capacity the alloc would need
   * @return whether such an alloc is possible, and if not, why
   */
  default Admission admission(Resources resources) {
    return Admission.yes();
  }

  /**
   * Returns the policy of a cluster built without {@code automatic()} or a policy: every request
   * waits for the test to answer it.
   *
   * @return the policy
   */
  static AllocPolicy byHand() {
    return request -> AllocAnswer.byHand();
  }

  /**
   * Returns the policy that {@link FakeCluster.Builder#automatic()} sets: every request is granted
   * at once, {@linkplain AllocAnswer#grant() sized by the cluster}, or refused {@code NEVER} if no
   * alloc of the cluster can hold it.
   *
   * @return the policy
   */
  static AllocPolicy grantAll() {
    return request -> AllocAnswer.grant();
  }

  /**
   * Returns a policy that grants every request at once, its {@code max()} capped at
   * {@code largest} (and at least its {@code min()}), and refuses for good a request whose minimum
   * does not fit in {@code largest}; {@link #admission} says never to more than {@code largest}.
   * {@link FakeCluster.Builder#maxAlloc} sizes the cluster's allocs with it.
   *
   * @param largest the largest alloc
   * @return the policy
   */
  static AllocPolicy maxAlloc(Resources largest) {
    return new MaxAllocPolicy(Objects.requireNonNull(largest, "largest"));
  }

  /**
   * Returns a policy that grants every request at once with the smallest of {@code shapes} that
   * holds its whole {@code max()}, or else the largest that holds its {@code min()}, and refuses
   * for good a request no shape can hold; {@link #admission} says never to needs no shape holds.
   * {@link FakeCluster.Builder#menu} sizes the cluster's allocs with it.
   *
   * @param shapes the alloc shapes; at least one
   * @return the policy
   */
  static AllocPolicy menu(Resources... shapes) {
    return new MenuPolicy(List.of(Objects.requireNonNull(shapes, "shapes")));
  }

  /**
   * Returns a policy that refuses every request {@code NOT_NOW} while the cluster has
   * {@code allocs} live allocs (granted, neither freed nor failed, however they were granted), and
   * leaves the rest to {@code within}.
   *
   * @param allocs the most live allocs; at least 1
   * @param within the policy for the requests within the quota
   * @return the policy
   */
  static AllocPolicy quota(int allocs, AllocPolicy within) {
    requirePositive(allocs, "quota");
    Objects.requireNonNull(within, "within");
    return new AllocPolicy() {
      @Override
      public AllocAnswer answer(FakeCluster.Request request) {
        if (request.cluster().liveAllocs() >= allocs) {
          return AllocAnswer.notNow("quota of " + allocs + " allocs reached");
        }
        return within.answer(request);
      }

      @Override
      public Admission admission(Resources resources) {
        return within.admission(resources);
      }

      @Override
      public String toString() {
        return "quota of " + allocs + " allocs, then " + within;
      }
    };
  }
}
