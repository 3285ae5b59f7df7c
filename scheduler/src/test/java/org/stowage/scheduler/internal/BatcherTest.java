package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.internal.Batcher.NO_TIMER;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The drain on its own: times are plain numbers, in milliseconds here for reading ease. */
class BatcherTest {

  private static final long MS = 1_000_000;

  private final Batcher<String> drain =
      new Batcher<>(Duration.ofMillis(50), Duration.ofMillis(200));

  @Test
  void aSubmissionGoesOnceTheDrainTimeoutHasPassedWithNothingElse() {
    assertEquals(50 * MS, drain.add(List.of("a"), 0));
    assertFalse(drain.due(49 * MS));
    assertTrue(drain.due(50 * MS));
    assertEquals(NO_TIMER, drain.woke(50 * MS));
    assertEquals(List.of("a"), drain.flush());
    assertEquals(0, drain.size());
    assertFalse(drain.due(60 * MS));
  }

  @Test
  void eachSubmissionMovesTheDeadlineOnAndTheOneTimerIsSetAgainWhenItComes() {
    assertEquals(50 * MS, drain.add(List.of("a"), 0));
    assertEquals(NO_TIMER, drain.add(List.of("b"), 30 * MS));   // a timer is set already
    assertFalse(drain.due(50 * MS));
    assertEquals(80 * MS, drain.woke(50 * MS));                  // early: set it again
    assertFalse(drain.due(79 * MS));
    assertTrue(drain.due(80 * MS));
    assertEquals(NO_TIMER, drain.woke(80 * MS));
    assertEquals(List.of("a", "b"), drain.flush());
  }

  @Test
  void aSteadyTrickleGoesAtTheMaxDrainWaitAfterTheFirst() {
    long timer = drain.add(List.of("t0"), 0);
    for (int i = 1; i < 10; i++) {
      long now = 40L * i * MS;
      if (now >= timer) {
        if (drain.due(now)) {
          break;
        }
        timer = drain.woke(now);
      }
      drain.add(List.of("t" + i), now);
    }
    assertTrue(drain.due(200 * MS));
    assertFalse(drain.due(199 * MS));
    assertEquals(5, drain.flush().size());   // t0 to t4, at 0, 40, 80, 120 and 160 ms
  }

  @Test
  void theNextBurstHasACapOfItsOwn() {
    drain.add(List.of("a"), 0);
    drain.woke(50 * MS);
    drain.flush();
    assertEquals(1_050 * MS, drain.add(List.of("b"), 1_000 * MS));
    assertFalse(drain.due(1_049 * MS));
    assertTrue(drain.due(1_050 * MS));
  }

  @Test
  void aZeroDrainTimeoutLetsEverySubmissionGoAtOnceWithoutATimer() {
    Batcher<String> none = new Batcher<>(Duration.ZERO, Duration.ofMillis(200));
    assertEquals(NO_TIMER, none.add(List.of("a", "b"), 5));
    assertTrue(none.due(5));
    assertEquals(List.of("a", "b"), none.flush());
  }

  @Test
  void aTaskTakenOutIsNotLetGoAndAnEmptyDrainAsksForNoTimer() {
    drain.add(List.of("a"), 0);
    assertTrue(drain.remove("a"));
    assertFalse(drain.remove("a"));
    assertFalse(drain.due(50 * MS));
    assertEquals(NO_TIMER, drain.woke(50 * MS));
    assertEquals(100 * MS, drain.add(List.of("b"), 50 * MS));   // a new burst, a new timer
  }

  @Test
  void durationsOfCenturiesAndNegativeClockReadingsDoNotOverflow() {
    Batcher<String> forever = new Batcher<>(Durations.FOREVER, Duration.ofSeconds(Long.MAX_VALUE));
    long deadline = forever.add(List.of("a"), Long.MAX_VALUE - 10);
    assertEquals(Long.MAX_VALUE, deadline);
    assertFalse(forever.due(Long.MAX_VALUE - 1));

    long start = -5_000 * MS;   // System.nanoTime() may be negative
    assertEquals(start + 50 * MS, drain.add(List.of("x"), start));
    assertEquals(NO_TIMER, drain.add(List.of("y"), start + 190 * MS));
    assertEquals(start + 200 * MS, drain.woke(start + 50 * MS));   // capped, from the first
  }
}
