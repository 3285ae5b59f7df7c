package org.stowage.scheduler;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Free-form key/value pairs: a scheduler passes its labels to {@link Cluster#allocate} (for
 * example to tag cloud instances or to choose a Slurm partition), and tasks carry labels for the
 * user's own bookkeeping.
 *
 * <p>Thread-safety: immutable.
 *
 * @param values the pairs; copied, with non-empty keys
 */
public record Labels(Map<String, String> values) {

  private static final Labels EMPTY = new Labels(Map.of());

  /**
   * Validates and copies the pairs, sorted by key for stable output.
   *
   * @param values the pairs, with non-empty keys
   */
  public Labels {
    Objects.requireNonNull(values, "values");
    TreeMap<String, String> copy = new TreeMap<>();
    values.forEach((k, v) -> {
      Objects.requireNonNull(k, "label key is null");
      Objects.requireNonNull(v, () -> "label " + k + " is null");
      if (k.isEmpty()) {
        throw new IllegalArgumentException("label key must not be empty");
      }
      copy.put(k, v);
    });
    values = java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * Returns no labels.
   *
   * @return the empty labels
   */
  public static Labels empty() {
    return EMPTY;
  }

  /**
   * Returns one label.
   *
   * @param key the label's key; not empty
   * @param value the label's value
   * @return the labels
   */
  public static Labels of(String key, String value) {
    return new Labels(pairs(key, value));
  }

  /**
   * Returns two labels.
   *
   * @param key1 the first key; not empty
   * @param value1 the first value
   * @param key2 the second key; not empty and not {@code key1}
   * @param value2 the second value
   * @return the labels
   */
  public static Labels of(String key1, String value1, String key2, String value2) {
    return new Labels(pairs(key1, value1, key2, value2));
  }

  /**
   * Returns the value of {@code key}, or null.
   *
   * @param key the label's key
   * @return its value, or null if there is no such label
   */
  public @org.jspecify.annotations.Nullable String get(String key) {
    return values.get(key);
  }

  /** Pairs keys with values (key, value, key, value...), refusing a null or repeated key. */
  private static Map<String, String> pairs(String... keysAndValues) {
    Map<String, String> pairs = new HashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      String key = Objects.requireNonNull(keysAndValues[i], "label key is null");
      if (pairs.put(key, keysAndValues[i + 1]) != null) {
        throw new IllegalArgumentException("label " + key + " is given twice");
      }
    }
    return pairs;
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
