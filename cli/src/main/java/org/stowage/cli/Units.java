package org.stowage.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.stowage.scheduler.Resources;

/**
 * Parses the sizes and durations written in workload files and on the command line, such as
 * {@code 512MiB} and {@code 90s}.
 *
 * <p>Thread-safety: stateless.
 */
final class Units {
  private static final Pattern SIZE =
      Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(B|KiB|MiB|GiB|TiB)?\\s*");
  private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

  private Units() {}

  /**
   * Parses a byte count: a whole number of bytes, or a number with a binary unit ({@code B},
   * {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}), such as {@code 512MiB} or
   * {@code 1.5GiB}.
   *
   * @throws IllegalArgumentException saying what is accepted, if {@code text} is not such a size
   */
  static long parseBytes(String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("must be a size such as 512MiB or 4GiB (a number of bytes,"
          + " or a number with one of the units B, KiB, MiB, GiB, TiB) but was \"" + text + "\"");
    }
    double amount = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long scale = switch (unit) {
      case "KiB" -> Resources.KiB;
      case "MiB" -> Resources.MiB;
      case "GiB" -> Resources.GiB;
      case "TiB" -> Resources.TiB;
      default -> 1;
    };
    double bytes = Math.rint(amount * scale);
    if (bytes > Long.MAX_VALUE) {
      throw new IllegalArgumentException("must be at most 8EiB but was \"" + text + "\"");
    }
    return (long) bytes;
  }

  /**
   * Parses a duration: a number with a unit {@code ms}, {@code s}, {@code m} or {@code h}
   * ({@code 90s}, {@code 1.5m}), or ISO-8601 ({@code PT90S}).
   *
   * @throws IllegalArgumentException if {@code text} is not such a duration
   */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      double millis = switch (m.group(2)) {
        case "ms" -> amount;
        case "s" -> amount * 1_000;
        case "m" -> amount * 60_000;
        default -> amount * 3_600_000;
      };
      return Duration.ofNanos(Math.round(millis * 1_000_000));
    }
    try {
      return Duration.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("must be a duration such as 500ms, 90s, 5m, 1h or PT90S"
          + " but was \"" + text + "\"", e);
    }
  }
}
