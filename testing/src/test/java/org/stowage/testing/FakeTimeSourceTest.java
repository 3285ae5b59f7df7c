package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.scheduler.TimeSource;

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

  @Test
  @Timeout(30)
  void advanceRunsWorkHandedToOtherThreadsAndTheTimersItSetsBeforeReturning() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    ExecutorService worker = Executors.newSingleThreadExecutor();
    try {
      Work work = new Work();
      time.register(work);
      long start = time.nanoTime();
      List<String> ran = new CopyOnWriteArrayList<>();
      // Due at 1 s, the action hands work to another thread, which sets a timer for 2 s.
      time.schedule(Duration.ofSeconds(1), () -> work.submit(worker, () -> {
        ran.add("worked at " + (time.nanoTime() - start));
        time.schedule(Duration.ofSeconds(1), () -> ran.add("then at " + (time.nanoTime() - start)));
      }));
      time.advance(Duration.ofSeconds(3));
      assertEquals(List.of("worked at 1000000000", "then at 2000000000"), ran);
      assertEquals(start + 3_000_000_000L, time.nanoTime());
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  void anActivityThatStaysBusyFailsAdvanceSayingWhatItWasDoing() {
    FakeTimeSource time = new FakeTimeSource(Duration.ofMillis(50));
    time.register(new TimeSource.Activity() {
      @Override
      public boolean awaitIdle(Duration timeout) {
        return false;
      }

      @Override
      public String describe() {
        return "stuck on purpose";
      }
    });
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> time.advance(Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("stuck on purpose"), e.getMessage());
    assertTrue(time.report().contains("stuck on purpose"), time.report());
  }

  @Test
  void aRegistrationCancelledIsNoLongerWaitedFor() {
    FakeTimeSource time = new FakeTimeSource(Duration.ofMillis(50));
    TimeSource.Cancellable registration = time.register(new TimeSource.Activity() {
      @Override
      public boolean awaitIdle(Duration timeout) {
        return false;
      }

      @Override
      public String describe() {
        return "stuck";
      }
    });
    registration.cancel();
    time.runUntilIdle();
    assertEquals("", time.report());
  }

  /** Work on other threads, idle once every piece submitted has run. */
  private static final class Work implements TimeSource.Activity {
    private int inFlight;

    void submit(ExecutorService executor, Runnable task) {
      synchronized (this) {
        inFlight++;
      }
      executor.execute(() -> {
        try {
          task.run();
        } finally {
          synchronized (this) {
            inFlight--;
            notifyAll();
          }
        }
      });
    }

    @Override
    public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      while (inFlight > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }

    @Override
    public synchronized String describe() {
      return inFlight + " in flight";
    }
  }
}
