package org.stowage.repository;

/**
 * What one {@link Transferer#transfer} call did.
 *
 * <p>Every distinct digest asked for is counted once, as copied or skipped. Only copies this
 * call started are counted as copied, so summing the reports of concurrent calls gives the
 * bytes actually moved.
 *
 * <p>Immutable and thread-safe.
 *
 * @param objectsCopied objects this call copied from the source to the destination
 * @param bytesCopied bytes this call copied
 * @param objectsSkipped objects the destination already held (known from the cache or found
 *     present) or that a concurrent call was already copying and this call waited for
 */
public record TransferReport(long objectsCopied, long bytesCopied, long objectsSkipped) {
  /**
   * Validates the counts.
   *
   * @param objectsCopied objects copied
   * @param bytesCopied bytes copied
   * @param objectsSkipped objects skipped
   * @throws IllegalArgumentException if a count is negative
   */
  public TransferReport {
    if (objectsCopied < 0 || bytesCopied < 0 || objectsSkipped < 0) {
      throw new IllegalArgumentException("counts must be >= 0 but were objectsCopied="
          + objectsCopied + " bytesCopied=" + bytesCopied + " objectsSkipped=" + objectsSkipped);
    }
  }
}
