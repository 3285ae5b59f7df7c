package org.stowage.repository;

/** Helpers for error messages. Not API. Thread-safe (stateless). */
final class Messages {
  /** Longest part of a caller's value echoed in a message; anything longer is cut. */
  static final int MAX_ECHO = 80;

  private Messages() {}

  /**
   * Quotes {@code value} for an error message: wrapped in double quotes, cut to {@link #MAX_ECHO}
   * characters (with "..." after the cut), and with control characters, quotes and backslashes
   * escaped so that the message stays on one line and shows exactly what was given.
   */
  static String quote(String value) {
    StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_ECHO) + 8).append('"');
    int end = Math.min(value.length(), MAX_ECHO);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (value.length() > end) {
      out.append("...");
    }
    return out.append('"').toString();
  }
}
