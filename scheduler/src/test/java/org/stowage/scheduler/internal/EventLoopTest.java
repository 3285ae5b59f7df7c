package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.scheduler.TimeSource;

/** The loop on its own: idleness counts every event and tracked task, and the trace is bounded. */
@Timeout(30)
class EventLoopTest {

  private final List<String> handled = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newSingleThreadExecutor();
  private final AtomicReference<Runnable> onDrainDue = new AtomicReference<>(() -> { });
  private final EventLoop loop = new EventLoop("test", TimeSource.system(), new EventLoop.Handler() {
    @Override
    public void handle(Event event) {
      handled.add(event.getClass().getSimpleName());
      if (event instanceof Event.DrainDue) {
        onDrainDue.get().run();
      } else if (event instanceof Event.AllFreed) {
        loopRef().stop();
      }
    }

    @Override
    public void endBatch() {
      handled.add("end");
    }

    @Override
    public void interrupted(InterruptedException e) {
      handled.add("interrupted");
    }
  });

  private EventLoop loopRef() {
    return loop;
  }

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void itIsIdleOnlyOnceEveryEventAndEveryTrackedTaskAndWhatTheyPostedIsDone() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Executor io = loop.tracked(threads);
    onDrainDue.set(() -> io.execute(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      loop.post(new Event.BackoffOver());
    }));
    loop.start();
    loop.post(new Event.DrainDue());

    assertFalse(loop.awaitIdle(Duration.ofMillis(100)), "idle while a tracked task waits");
    release.countDown();
    assertTrue(loop.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(List.of("DrainDue", "end", "BackoffOver", "end"), handled);
    List<String> recent = loop.recent();
    assertTrue(recent.get(recent.size() - 1).contains("event BackoffOver"), recent.toString());
  }

  @Test
  void theTraceKeepsOnlyTheMostRecentEvents() throws Exception {
    loop.start();
    for (int i = 0; i < 100; i++) {
      loop.post(new Event.BackoffOver());
    }
    assertTrue(loop.awaitIdle(Duration.ofSeconds(10)));
    List<String> recent = loop.recent();
    assertEquals(EventLoop.TRACE_SIZE, recent.size());
    assertTrue(recent.get(recent.size() - 1).startsWith("#99 event BackoffOver"), recent.toString());
    assertTrue(loop.describe().contains("idle"), loop.describe());
  }

  @Test
  void waitingForIdleOnTheLoopsOwnThreadFails() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    onDrainDue.set(() -> {
      try {
        loop.awaitIdle(Duration.ofSeconds(1));
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    loop.start();
    loop.post(new Event.DrainDue());
    assertTrue(loop.awaitIdle(Duration.ofSeconds(10)));
    assertTrue(failure.get() instanceof IllegalStateException, String.valueOf(failure.get()));
  }

  @Test
  void aStoppedLoopDropsLaterEventsAndCountsAsIdle() throws Exception {
    loop.start();
    loop.post(new Event.AllFreed());
    assertTrue(loop.awaitIdle(Duration.ofSeconds(10)));
    loop.post(new Event.BackoffOver());
    assertTrue(loop.awaitIdle(Duration.ZERO));
    assertEquals(List.of("AllFreed", "end"), handled);
  }
}
