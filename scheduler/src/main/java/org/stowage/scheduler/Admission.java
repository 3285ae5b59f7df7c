package org.stowage.scheduler;

import java.util.Objects;

/**
 * A cluster's answer to "could you ever give me an alloc this large?".
 *
 * <p>Thread-safety: immutable.
 *
 * @param possible true if such an alloc could be had (now or later)
 * @param reason why not, naming the largest shape the cluster can give; empty when possible
 */
public record Admission(boolean possible, String reason) {

  private static final Admission YES = new Admission(true, "");

  /**
   * Validates the fields.
   *
   * @param possible true if such an alloc could be had (now or later)
   * @param reason why not; empty when possible
   */
  public Admission {
    Objects.requireNonNull(reason, "reason");
    if (!possible && reason.isBlank()) {
      throw new IllegalArgumentException("a refusal must give a reason");
    }
  }

  /**
   * Returns "possible".
   *
   * @return an admission with no reason
   */
  public static Admission yes() {
    return YES;
  }

  /**
   * Returns "never", with a reason that names the largest shape the cluster can give, e.g.
   * {@code "the largest alloc is {cpu:16 mem:64GiB}"}.
   *
   * @param reason why not; not blank
   * @return a refusal giving {@code reason}
   */
  public static Admission never(String reason) {
    return new Admission(false, reason);
  }
}
