package org.stowage.scheduler.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Reading the errors that futures and calls out fail with, for decisions and messages. Not API.
 *
 * <p>Thread-safety: stateless.
 */
final class Failures {

  private Failures() {}

  /** Returns the cause inside the wrappers that futures add, or {@code e} itself. */
  static @Nullable Throwable unwrap(@Nullable Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** Names an error for a message: its class and its message; "no result" for null. */
  static String describe(@Nullable Throwable e) {
    if (e == null) {
      return "no result";
    }
    return e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage()
        : e.getClass().getName();
  }
}
