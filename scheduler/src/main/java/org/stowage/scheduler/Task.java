package org.stowage.scheduler;

import static org.stowage.scheduler.internal.Checks.requireNotBlank;
import static org.stowage.scheduler.internal.Checks.requirePositive;
import static org.stowage.scheduler.internal.Checks.requireUnset;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;

/**
 * A unit of work: what it needs, what to run, and (once submitted) how it is doing.
 *
 * <p>A task is built once with {@link #newBuilder()}, then {@linkplain Scheduler#submit submitted}
 * to one scheduler, which owns its progress from then on. The builder's fields never change; the
 * progress is a {@link TaskStatus} snapshot that the scheduler replaces as a whole, so that
 * {@link #status()} is always consistent. The shortcuts {@link #state()}, {@link #attempt()},
 * {@link #id()}, {@link #result()} and {@link #error()} each read the latest snapshot; read
 * {@link #status()} once to see several fields of the same moment.
 *
 * <p>Thread-safety: thread-safe. Futures returned by {@link #await} complete, and listeners run,
 * on the scheduler's callback thread, one at a time and in order; they must not block.
 */
public final class Task {

  private static final AtomicLong KEYS = new AtomicLong();

  private final String key;
  private final String name;
  private final Resources resources;
  private final int priority;
  private final ExecConfig exec;
  private final @Nullable Duration timeout;
  private final Labels labels;
  private final @Nullable Repository repository;
  private final Fileset inputs;
  private final TaskProgress progress;

  /**
   * The defaults of the {@link Builder}'s options, in one place; each setter's Javadoc and
   * README.md's Configuration section say the same. Unset, the name is the task's {@link #key()},
   * there is no timeout, and the repository is the scheduler's.
   */
  private static final class Defaults {
    static final Resources RESOURCES = Resources.empty();
    static final int PRIORITY = 0;
    static final Labels LABELS = Labels.empty();

    private Defaults() {}
  }

  private Task(Builder b) {
    this.key = "t" + KEYS.incrementAndGet();
    this.name = b.name != null ? b.name : key;
    this.resources = b.resources != null ? b.resources : Defaults.RESOURCES;
    this.priority = b.priority != null ? b.priority : Defaults.PRIORITY;
    this.exec = Objects.requireNonNull(b.exec);
    this.timeout = b.timeout;
    this.labels = b.labels != null ? b.labels : Defaults.LABELS;
    this.repository = b.repository;
    this.inputs = b.inputs;
    this.progress = new TaskProgress(this);
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with no option set
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns a key unique in this JVM, the stem of every attempt's {@link #id()}.
   *
   * @return the task's key
   */
  public String key() {
    return key;
  }

  /**
   * Returns the name given to the builder, or the {@link #key()}.
   *
   * @return the task's name
   */
  public String name() {
    return name;
  }

  /**
   * Returns what the task needs on its alloc.
   *
   * @return the task's resources
   */
  public Resources resources() {
    return resources;
  }

  /**
   * Returns the priority: lower runs first.
   *
   * @return the priority, 0 unless set
   */
  public int priority() {
    return priority;
  }

  /**
   * Returns what the task runs.
   *
   * @return the task's command and environment
   */
  public ExecConfig exec() {
    return exec;
  }

  /**
   * Returns how long one attempt may run before it is killed, or null for no limit.
   *
   * @return the timeout of one attempt, or null
   */
  public @Nullable Duration timeout() {
    return timeout;
  }

  /**
   * Returns the task's labels.
   *
   * @return the labels, empty unless set
   */
  public Labels labels() {
    return labels;
  }

  /**
   * Returns the repository the task's inputs are read from and its outputs written to, or null to
   * use the scheduler's.
   *
   * @return the task's repository, or null
   */
  public @Nullable Repository repository() {
    return repository;
  }

  /**
   * Returns the task's input files, by their path in the task's working directory (each
   * {@linkplain Builder#input input} under its directory).
   *
   * @return the input files, possibly empty
   */
  public Fileset inputs() {
    return inputs;
  }

  /**
   * Returns the latest snapshot of the task's progress.
   *
   * @return the task's status
   */
  public TaskStatus status() {
    return progress.status();
  }

  /**
   * Returns the current state.
   *
   * @return the state of the latest snapshot
   */
  public State state() {
    return status().state();
  }

  /**
   * Returns the current attempt, from 0.
   *
   * @return the attempt number
   */
  public int attempt() {
    return status().attempt();
  }

  /**
   * Returns the id of the current attempt, {@code <key>.<attempt>}.
   *
   * @return the attempt's id
   */
  public String id() {
    return status().id();
  }

  /**
   * Returns the exec result once the task is DONE successfully, else null.
   *
   * @return the result, or null
   */
  public @Nullable ExecResult result() {
    return status().result();
  }

  /**
   * Returns why the task failed once it is DONE without success, else null.
   *
   * @return the error, or null
   */
  public @Nullable TaskException error() {
    return status().error();
  }

  /**
   * Returns a future that completes when the task first reaches {@code state} or a state after it
   * in the order INIT, STAGING, RUNNING, LOST, DONE.
   *
   * <p>The wait is on the furthest state the task has ever reached, across attempts: a task that
   * was RUNNING, went LOST and is back in INIT has already satisfied {@code await(RUNNING)} and
   * {@code await(LOST)}; nothing un-completes. So {@code await(DONE)} is the only wait that says
   * the task is finished, and {@code await(RUNNING)} says that some attempt started running (or
   * that the task is already past that point), not that it runs now. {@code await(INIT)} completes
   * at once.
   *
   * <p>The future completes with this task; if the state that satisfies it is DONE and the task
   * failed, it completes exceptionally with the task's {@link TaskException} (kind CANCELLED if
   * the task was cancelled). Cancelling the returned future stops this wait only; it does not
   * cancel the task (use {@link #cancel()}).
   *
   * @param state the state to wait for
   * @return a future completing with this task
   */
  public CompletableFuture<Task> await(State state) {
    return progress.await(Objects.requireNonNull(state, "state"));
  }

  /**
   * Cancels the task: a queued task leaves the queue; a staging or running one has its exec killed.
   * Either way the task ends DONE with a {@link TaskException.Kind#CANCELLED} error, unless it
   * finishes first. Returns at once; {@code await(DONE)} to see the end.
   *
   * @return false if the task was already DONE
   */
  public boolean cancel() {
    return progress.cancel();
  }

  /**
   * Calls {@code listener} with each new status of this task, in order, on the scheduler's
   * callback thread; a task that is already DONE gets its final status once. The listener must
   * not block; an exception it throws is logged and ignored.
   *
   * @param listener called with each new status
   * @return a handle whose {@code close()} stops the calls
   */
  public AutoCloseable subscribe(Consumer<TaskStatus> listener) {
    return progress.subscribe(Objects.requireNonNull(listener, "listener"));
  }

  /** Returns the task's progress as users see it; the scheduler that claims it publishes to it. */
  TaskProgress progress() {
    return progress;
  }

  @Override
  public String toString() {
    TaskStatus s = status();
    return "task " + (name.equals(key) ? "" : name + " ") + s.id() + " " + resources + " " + s.state();
  }

  /**
   * Builds a {@link Task}. Each option may be set once; {@link #command} or {@link #exec} is
   * required.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private @Nullable String name;
    private @Nullable Resources resources;
    private @Nullable Integer priority;
    private @Nullable ExecConfig exec;
    private @Nullable Duration timeout;
    private @Nullable Labels labels;
    private @Nullable Repository repository;
    private Fileset inputs = Fileset.empty();
    private final java.util.Set<String> inputDirs = new java.util.HashSet<>();

    private Builder() {}

    /**
     * Sets a human-readable name, used in logs and messages; default the task's {@link #key()}.
     *
     * @param name the task's name; not blank
     * @return this builder
     */
    public Builder name(String name) {
      requireUnset(this.name, "name");
      this.name = requireNotBlank(name, "name");
      return this;
    }

    /**
     * Sets what the task needs on its alloc; default none.
     *
     * @param resources the task's needs
     * @return this builder
     */
    public Builder resources(Resources resources) {
      requireUnset(this.resources, "resources");
      this.resources = Objects.requireNonNull(resources, "resources");
      return this;
    }

    /**
     * Sets the priority: lower runs first; default 0.
     *
     * @param priority the priority
     * @return this builder
     */
    public Builder priority(int priority) {
      requireUnset(this.priority, "priority");
      this.priority = priority;
      return this;
    }

    /**
     * Sets what to run: the command and its environment. This or {@link #command} is required,
     * once.
     *
     * @param exec the command and environment
     * @return this builder
     */
    public Builder exec(ExecConfig exec) {
      requireExecUnset();
      this.exec = Objects.requireNonNull(exec, "exec");
      return this;
    }

    /**
     * Sets the command to run, with no extra environment. This or {@link #exec} is required, once.
     *
     * @param command the program and its arguments; not empty
     * @return this builder
     */
    public Builder command(String... command) {
      requireExecUnset();
      return exec(ExecConfig.of(command));
    }

    /** Refuses a second command, naming the first but not its environment, which may be secret. */
    private void requireExecUnset() {
      ExecConfig set = this.exec;
      requireUnset(set == null ? null : set.command(), "command");
    }

    /**
     * Sets how long one attempt may stage and run before it is killed; the task then ends DONE
     * with a {@link TaskException.Kind#TIMED_OUT} error. Default: no limit; 100 years or more also
     * means no limit.
     *
     * @param timeout the limit of one attempt; positive
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      requireUnset(this.timeout, "timeout");
      this.timeout = requirePositive(timeout, "timeout");
      return this;
    }

    /**
     * Sets the repository the task's inputs are read from and its outputs written to; default the
     * scheduler's.
     *
     * @param repository the task's repository
     * @return this builder
     */
    public Builder repository(Repository repository) {
      requireUnset(this.repository, "repository");
      this.repository = Objects.requireNonNull(repository, "repository");
      return this;
    }

    /**
     * Adds input files, laid out under {@code dir} in the task's working directory: file
     * {@code data.txt} of {@code input("in", files)} is {@code in/data.txt}. May be called once per
     * directory; use {@code "."} for the top level. The objects are read from the task's
     * repository.
     *
     * @param dir the directory to lay the files out under, relative
     * @param files the files, by path under {@code dir}
     * @return this builder
     * @throws IllegalArgumentException if {@code dir} is not a clean relative path, was already
     *     used, or a path of these files is already taken by another input
     */
    public Builder input(String dir, Fileset files) {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(files, "files");
      if (inputDirs.contains(dir)) {
        throw new IllegalArgumentException("input directory \"" + dir + "\" was already used");
      }
      // Both may throw; the directory counts as used only once its files are in.
      inputs = inputs.plus(".".equals(dir) ? files : files.prefixed(dir));
      inputDirs.add(dir);
      return this;
    }

    /**
     * Sets the task's labels; default none.
     *
     * @param labels the task's labels
     * @return this builder
     */
    public Builder labels(Labels labels) {
      requireUnset(this.labels, "labels");
      this.labels = Objects.requireNonNull(labels, "labels");
      return this;
    }

    /**
     * Builds the task. The builder may be used again to build another, independent task.
     *
     * @return the task
     * @throws IllegalStateException if no command was set
     */
    public Task build() {
      if (exec == null) {
        throw new IllegalStateException("command must be set (use command(...) or exec(...))");
      }
      return new Task(this);
    }

  }
}
