package org.stowage.cli;

/** Helpers for the command's messages. Thread-safe (stateless). */
final class Messages {

  private Messages() {}

  /**
   * Returns {@code s} in double quotes, for a message: quotes, backslashes, control characters and
   * unpaired surrogates escaped as in Java source, and only the first 100 characters of a longer
   * text, followed by its length.
   */
  static String quote(String s) {
    int shown = Math.min(s.length(), 100);
    StringBuilder out = new StringBuilder(shown + 2).append('"');
    for (int i = 0; i < shown; i++) {
      char c = s.charAt(i);
      boolean paired = Character.isHighSurrogate(c)
          ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
          : Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || (Character.isSurrogate(c) && !paired)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
    if (shown < s.length()) {
      out.insert(out.length() - 1, "...").append(" (").append(s.length()).append(" characters)");
    }
    return out.toString();
  }
}
