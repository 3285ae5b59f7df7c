package org.stowage.scheduler;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What to run: a command and its environment. The scheduler never looks inside; it passes the
 * config to the {@link Alloc} the task is placed on.
 *
 * <p>Thread-safety: immutable.
 *
 * @param command the program and its arguments; not empty
 * @param environment variables added to the process environment
 */
public record ExecConfig(List<String> command, Map<String, String> environment) {

  /**
   * Validates and copies the fields.
   *
   * @param command the program and its arguments; not empty
   * @param environment variables added to the process environment
   * @throws IllegalArgumentException if the command is empty
   */
  public ExecConfig {
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command must not be empty");
    }
    Map<String, String> env = new TreeMap<>();
    environment.forEach((k, v) -> env.put(Objects.requireNonNull(k, "environment name"),
        Objects.requireNonNull(v, () -> "environment " + k)));
    environment = java.util.Collections.unmodifiableMap(env);
  }

  /**
   * Returns a config running {@code command} with no extra environment.
   *
   * @param command the program and its arguments; not empty
   * @return the config
   */
  public static ExecConfig of(String... command) {
    return new ExecConfig(List.of(command), Map.of());
  }
}
