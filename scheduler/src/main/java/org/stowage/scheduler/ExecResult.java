package org.stowage.scheduler;

import java.util.Objects;

/**
 * How an exec ended.
 *
 * <p>Thread-safety: immutable.
 *
 * @param exitCode the process exit code; 0 is success, anything else is a failed attempt
 * @param stdout the tail of standard output (bounded by the alloc), possibly empty
 * @param stderr the tail of standard error (bounded by the alloc), possibly empty
 */
public record ExecResult(int exitCode, String stdout, String stderr) {

  /** Validates the fields. */
  public ExecResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
  }

  /** Returns a successful result with no output. */
  public static ExecResult success() {
    return new ExecResult(0, "", "");
  }

  /** Returns a result with the given exit code and no output. */
  public static ExecResult exited(int exitCode) {
    return new ExecResult(exitCode, "", "");
  }

  /** Returns true if the exit code is 0. */
  public boolean succeeded() {
    return exitCode == 0;
  }
}
