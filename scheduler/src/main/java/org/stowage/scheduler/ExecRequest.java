package org.stowage.scheduler;

import java.util.Objects;

/**
 * What the scheduler hands an {@link Alloc} to start one attempt of a task.
 *
 * <p>Thread-safety: immutable.
 *
 * @param id the attempt's id ({@link Task#id()}), unique per scheduler; an alloc may use it to name
 *     the exec
 * @param name the task's name, for logs
 * @param config what to run
 * @param resources what the task reserved on the alloc; an alloc may enforce it
 */
public record ExecRequest(String id, String name, ExecConfig config, Resources resources) {

  /** Validates the fields. */
  public ExecRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(resources, "resources");
  }
}
