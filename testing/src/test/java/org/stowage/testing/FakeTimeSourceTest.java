package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Time that moves only when the test says so, with actions at exact deadlines. */
class FakeTimeSourceTest {

  @Test
  void actionsRunInDeadlineOrderEachAtItsOwnTime() {
    FakeTimeSource time = new FakeTimeSource();
    long start = time.nanoTime();
    List<String> ran = new ArrayList<>();
    time.schedule(Duration.ofSeconds(3), () -> ran.add("3s at " + (time.nanoTime() - start)));
    time.scheduleAt(start + 1_000_000_000L, () -> ran.add("1s at " + (time.nanoTime() - start)));
    var cancelled = time.schedule(Duration.ofSeconds(2), () -> ran.add("cancelled"));
    cancelled.cancel();

    time.advance(Duration.ofSeconds(5));
    assertEquals(List.of("1s at 1000000000", "3s at 3000000000"), ran);
    assertEquals(start + 5_000_000_000L, time.nanoTime());
    assertEquals(0, time.pendingTimers());
  }

  @Test
  void anActionAtADeadlineAlreadyPassedRunsAtOnce() {
    FakeTimeSource time = new FakeTimeSource();
    long worked = time.nanoTime() + 20;   // a deadline worked out before time moved past it
    time.advance(Duration.ofNanos(30));
    List<String> ran = new ArrayList<>();
    time.scheduleAt(worked, () -> ran.add("due"));
    assertEquals(List.of("due"), ran);
    assertEquals(0, time.pendingTimers());
  }
}
