package org.stowage.scheduler;

import java.util.Objects;
import org.stowage.repository.Fileset;

/**
 * How an exec ended.
 *
 * <p>Thread-safety: immutable.
 *
 * @param exitCode the process exit code; 0 is success, anything else is a failed attempt
 * @param stdout the tail of standard output (bounded by the alloc), possibly empty
 * @param stderr the tail of standard error (bounded by the alloc), possibly empty
 * @param outputs the files the exec produced, by relative path. An alloc returns them with their
 *     objects in its own repository; the scheduler uploads them to the task's repository before the
 *     task is DONE, so {@link Task#result()} refers to objects there.
 */
public record ExecResult(int exitCode, String stdout, String stderr, Fileset outputs) {

  /**
   * Validates the fields.
   *
   * @param exitCode the process exit code; 0 is success
   * @param stdout the tail of standard output, possibly empty
   * @param stderr the tail of standard error, possibly empty
   * @param outputs the files the exec produced, by relative path
   */
  public ExecResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(outputs, "outputs");
  }

  /**
   * Returns a successful result with no output.
   *
   * @return a result with exit code 0, empty text and no files
   */
  public static ExecResult success() {
    return new ExecResult(0, "", "", Fileset.empty());
  }

  /**
   * Returns a successful result with the given outputs and no output text.
   *
   * @param outputs the files the exec produced, by relative path
   * @return a result with exit code 0 and empty text
   */
  public static ExecResult success(Fileset outputs) {
    return new ExecResult(0, "", "", outputs);
  }

  /**
   * Returns a result with the given exit code and no output.
   *
   * @param exitCode the process exit code
   * @return a result with empty text and no files
   */
  public static ExecResult exited(int exitCode) {
    return new ExecResult(exitCode, "", "", Fileset.empty());
  }

  /**
   * Returns true if the exit code is 0.
   *
   * @return whether the exec succeeded
   */
  public boolean succeeded() {
    return exitCode == 0;
  }
}
