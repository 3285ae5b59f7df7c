package org.stowage.scheduler;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.stowage.scheduler.internal.Checks;

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
   * @throws IllegalArgumentException if the command is empty, the program is an empty string, an
   *     argument holds a NUL character, or a variable's name is empty or holds '=' or NUL, or its
   *     value holds NUL; the message names the argument by its index, or the variable
   * @throws NullPointerException if an argument, a name or a value is null; the message names it
   */
  public ExecConfig {
    Objects.requireNonNull(command, "command");
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command must not be empty");
    }
    int i = 0;
    for (String argument : command) {
      if (argument == null) {
        throw new NullPointerException("command argument " + i + " is null");
      }
      if (argument.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("command argument " + i
            + " must not contain a NUL character but was " + Checks.quote(argument));
      }
      if (i == 0 && argument.isEmpty()) {
        throw new IllegalArgumentException("command argument 0 (the program) must not be empty");
      }
      i++;
    }
    command = List.copyOf(command);
    environment = Checks.requireEnvironment(environment);
  }

  /**
   * Returns a config running {@code command} with no extra environment.
   *
   * @param command the program and its arguments; not empty
   * @return the config
   * @throws IllegalArgumentException as {@link #ExecConfig(List, Map) the constructor} does
   * @throws NullPointerException if the array or an argument is null; the message names it
   */
  public static ExecConfig of(String... command) {
    return new ExecConfig(Arrays.asList(Objects.requireNonNull(command, "command")), Map.of());
  }
}
