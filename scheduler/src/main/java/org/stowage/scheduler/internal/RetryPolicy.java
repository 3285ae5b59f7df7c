package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Digest;
import org.stowage.repository.Fileset;
import org.stowage.repository.RepositoryException;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;

/**
 * The rules for how an attempt ends and what comes after: what its exec's result, or a failed
 * copy, comes to ({@link Outcome}), and whether a lost or failed attempt is tried again or the task
 * ends with an error that says why. Not API.
 *
 * <p>Pure: no threads, no clock, no state beyond its two limits. Thread-safe.
 *
 * <p>The rules: an attempt being stopped (cancelled, timed out, closed) ends its task with the
 * reason, whatever its exec did. An exec that reports its alloc lost makes the attempt lost; lost
 * attempts are tried again up to {@code maxLostAttempts} in all. A missing or corrupt input or
 * output ends the task at once: trying again would not help. Anything else that goes wrong (an
 * exec that fails or exits non-zero, a copy that fails) is a failed attempt, tried again up to
 * {@code maxFailedAttempts} in all.
 */
final class RetryPolicy {

  /** What an attempt's end comes to. */
  sealed interface Outcome {
    /** The exec succeeded, and its outputs, if any, are safe. */
    record Succeeded(ExecResult result) implements Outcome {}

    /** The task ends with {@code error}, not tried again. */
    record Ended(TaskException error) implements Outcome {}

    /** The attempt's alloc was lost under it. */
    record Lost(String why) implements Outcome {}

    /** The attempt failed; the task may be tried again. */
    record Failed(String why, @Nullable ExecResult result, @Nullable Throwable cause)
        implements Outcome {}
  }

  private final int maxLostAttempts;
  private final int maxFailedAttempts;

  /**
   * Creates the rules.
   *
   * @param maxLostAttempts how many lost attempts a task may have in all; at least 1
   * @param maxFailedAttempts how many failed attempts a task may have in all; at least 1
   */
  RetryPolicy(int maxLostAttempts, int maxFailedAttempts) {
    this.maxLostAttempts = maxLostAttempts;
    this.maxFailedAttempts = maxFailedAttempts;
  }

  /**
   * What an exec's end comes to, before its outputs are uploaded.
   *
   * @param task the task
   * @param allocId the alloc it ran on
   * @param stop why the attempt is being stopped, or null
   * @param result the exec's result, or null if it failed
   * @param error why the exec failed (or could not start), or null
   */
  static Outcome afterExec(Task task, String allocId, @Nullable TaskException stop,
      @Nullable ExecResult result, @Nullable Throwable error) {
    if (stop != null) {
      return new Outcome.Ended(stop);
    }
    if (error instanceof AllocLostException) {
      return new Outcome.Lost("alloc " + allocId + " was lost: " + error.getMessage());
    }
    if (error != null || result == null) {
      return new Outcome.Failed("its exec failed on alloc " + allocId + ": "
          + Failures.describe(error), null, error);
    }
    if (!result.succeeded()) {
      return new Outcome.Failed("its command exited with code " + result.exitCode()
          + " on alloc " + allocId, result, null);
    }
    return new Outcome.Succeeded(result);
  }

  /**
   * What a failure to stage an attempt's inputs comes to.
   *
   * @param task the task
   * @param allocId the alloc they were copied to
   * @param stop why the attempt is being stopped, or null
   * @param cause why the copy failed
   */
  static Outcome afterStaging(Task task, String allocId, @Nullable TaskException stop,
      @Nullable Throwable cause) {
    if (stop != null) {
      return new Outcome.Ended(stop);
    }
    if (cause instanceof RepositoryException re && isPermanent(re)) {
      return new Outcome.Ended(repositoryError(task, re, task.inputs(), "input"));
    }
    return new Outcome.Failed("staging its inputs onto alloc " + allocId + " failed: "
        + Failures.describe(cause), null, cause);
  }

  /**
   * What a failure to upload an attempt's outputs comes to.
   *
   * @param task the task
   * @param allocId the alloc they were copied from
   * @param stop why the attempt is being stopped, or null
   * @param result the exec's result, whose outputs were being copied
   * @param cause why the copy failed
   */
  static Outcome afterUpload(Task task, String allocId, @Nullable TaskException stop,
      ExecResult result, Throwable cause) {
    if (stop != null) {
      return new Outcome.Ended(stop);
    }
    String why = cause instanceof RepositoryException re && isPermanent(re)
        ? repositoryError(task, re, result.outputs(), "output").getMessage()
        : "uploading its outputs from alloc " + allocId + " failed: " + Failures.describe(cause);
    return new Outcome.Failed(why, result, cause);
  }

  /**
   * Decides on a task whose attempt was lost.
   *
   * @param task the task
   * @param lost how many of its attempts were lost, this one included
   * @param why how this one was lost
   * @return the error to end the task with, or null to try it again
   */
  @Nullable TaskException afterLost(Task task, int lost, String why) {
    if (lost < maxLostAttempts) {
      return null;
    }
    return new TaskException(Kind.LOST, task + " was lost " + lost + " time"
        + (lost == 1 ? "" : "s") + " (the limit); last: " + why);
  }

  /**
   * Decides on a task whose attempt failed.
   *
   * @param task the task
   * @param attempt the number of the attempt that failed, from 0
   * @param failed how many of its attempts failed, this one included
   * @param outcome how this one failed
   * @return the error to end the task with, or null to try it again
   */
  @Nullable TaskException afterFailed(Task task, int attempt, int failed, Outcome.Failed outcome) {
    if (failed < maxFailedAttempts) {
      return null;
    }
    return new TaskException(Kind.FAILED, task + " failed: " + outcome.why() + " (attempt "
        + (attempt + 1) + "; " + failed + " failed of at most " + maxFailedAttempts + ")",
        outcome.result(), outcome.cause());
  }

  /** A missing or corrupt object stays so, where an unavailable repository may come back. */
  private static boolean isPermanent(RepositoryException e) {
    return e.kind() != RepositoryException.Kind.UNAVAILABLE;
  }

  /** Turns a missing or corrupt object into the task's error, naming its digest and paths. */
  private static TaskException repositoryError(
      Task task, RepositoryException e, Fileset files, String role) {
    Kind kind = e.kind() == RepositoryException.Kind.NOT_FOUND ? Kind.NOT_FOUND : Kind.CORRUPT;
    String paths = e.digest().map(d -> pathsOf(files, d)).orElse("");
    return new TaskException(kind, task + ": " + role + " " + paths
        + (kind == Kind.NOT_FOUND ? " is missing: " : " is corrupt: ") + e.getMessage(), null, e);
  }

  private static String pathsOf(Fileset files, Digest d) {
    List<String> paths = new ArrayList<>();
    files.files().forEach((path, ref) -> {
      if (ref.digest().equals(d)) {
        paths.add(path);
      }
    });
    return String.join(", ", paths);
  }
}
