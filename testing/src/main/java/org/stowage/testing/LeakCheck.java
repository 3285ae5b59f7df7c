package org.stowage.testing;

import java.util.List;

/**
 * The leak checks of {@link FakeCluster#checkNoLeaks()}: every alloc freed, no exec started on an
 * alloc after it was freed, and no exec still running when its healthy alloc was freed. Each
 * leak is reported with the stack where it began, which {@link FakeAlloc} and {@link FakeExec}
 * record. Not API.
 *
 * <p>Thread-safety: stateless.
 */
final class LeakCheck {

  private LeakCheck() {}

  /**
   * Checks the allocs a cluster granted.
   *
   * @param allocs every alloc granted, oldest first
   * @throws IllegalStateException naming the first leak, caused by the stack where it began
   */
  static void check(List<FakeAlloc> allocs) {
    for (FakeAlloc a : allocs) {
      if (!a.isFreed()) {
        throw new IllegalStateException("expected every alloc freed, but " + a.id()
            + " was not (" + allocs.size() + " granted)", a.grantedAt());
      }
      Throwable late = a.startedAfterFree();
      if (late != null) {
        throw new IllegalStateException("expected no exec started on an alloc after it was freed,"
            + " but one was on " + a.id(), late);
      }
      for (FakeExec x : a.execs()) {
        if (!x.isDone() || x.wasRunningWhenFreed()) {
          throw new IllegalStateException("expected every exec ended before its alloc was"
              + " freed, but " + x.id() + " on alloc " + a.id() + " was still running",
              x.startedAt());
        }
      }
    }
  }
}
