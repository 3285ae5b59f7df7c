package org.stowage.scheduler;

import java.util.Objects;
import org.stowage.repository.Fileset;

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
 * @param inputs the files to lay out in the exec's working directory, by relative path; every
 *     object is in the alloc's {@linkplain Alloc#repository() repository} when the exec starts
 */
public record ExecRequest(
    String id, String name, ExecConfig config, Resources resources, Fileset inputs) {

  /**
   * Validates the fields.
   *
   * @param id the attempt's id ({@link Task#id()}), unique per scheduler
   * @param name the task's name, for logs
   * @param config what to run
   * @param resources what the task reserved on the alloc
   * @param inputs the files to lay out in the exec's working directory, by relative path
   */
  public ExecRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(resources, "resources");
    Objects.requireNonNull(inputs, "inputs");
  }
}
