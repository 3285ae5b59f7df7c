package org.stowage.repository;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** Runs blocking calls on an executor. Not API. Thread-safe (stateless). */
final class Async {
  private Async() {}

  /**
   * Runs {@code call} on {@code executor}. Unlike {@link CompletableFuture#supplyAsync}, the
   * future fails with the exception the call threw, not a {@code CompletionException} around it,
   * and a future cancelled before the call starts keeps it from running. If the executor refuses
   * the call, the future fails with its {@code RejectedExecutionException}.
   */
  static <T> CompletableFuture<T> supply(Supplier<T> call, Executor executor) {
    CompletableFuture<T> future = new CompletableFuture<>();
    Runnable task = () -> {
      if (future.isDone()) {
        return;
      }
      try {
        future.complete(call.get());
      } catch (Throwable t) {
        future.completeExceptionally(t);
      }
    };
    try {
      executor.execute(task);
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
    }
    return future;
  }
}
