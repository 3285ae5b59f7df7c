package org.stowage.repository;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Runs at most {@code max} tasks at a time on an executor, queueing the rest in order. A thread
 * that finishes a task takes the next from the queue, so queued tasks hold no thread. Not API.
 *
 * <p>Thread-safe: guards its queue and its count of running tasks with its monitor, which is not
 * held while a task runs or the executor is called.
 */
final class Limiter {
  private final Executor executor;
  private final int max;
  // Guarded by this.
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private int running;

  Limiter(Executor executor, int max) {
    this.executor = executor;
    this.max = max;
  }

  /** Runs {@code task} when a slot is free, or tells {@code onRejected} the executor refused. */
  void submit(Runnable task, Consumer<RuntimeException> onRejected) {
    synchronized (this) {
      if (running >= max) {
        queue.add(task);
        return;
      }
      running++;
    }
    try {
      executor.execute(() -> drain(task));
    } catch (RuntimeException e) {
      synchronized (this) {
        running--;
      }
      onRejected.accept(e);
    }
  }

  private void drain(Runnable first) {
    for (Runnable task = first; task != null; ) {
      try {
        task.run();
      } catch (Throwable t) {
        // Tasks complete their futures themselves; anything escaping is a bug: report it.
        Thread thread = Thread.currentThread();
        thread.getUncaughtExceptionHandler().uncaughtException(thread, t);
      }
      synchronized (this) {
        task = queue.poll();
        if (task == null) {
          running--;
        }
      }
    }
  }
}
