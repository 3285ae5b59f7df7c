package org.stowage.testing;

import static org.stowage.scheduler.internal.Checks.requireNotNegative;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;

/**
 * How a fake exec ends, as an {@link ExecPolicy} decides: with an exit code, standard output and
 * error and output files, or failing with an exception; at once or after a delay on the cluster's
 * time source; or not by itself at all, left for the test to end by hand.
 *
 * <pre>{@code
 * ExecAnswer.succeed().output("counts.txt", "a 3\n").after(Duration.ofMinutes(2))
 * ExecAnswer.exit(3).stderr("no such file")
 * ExecAnswer.fail(new AllocLostException("node rebooted")).after(Duration.ofSeconds(30))
 * }</pre>
 *
 * <p>Each method returns a new answer; each part may be given once.
 *
 * <p>Thread-safety: immutable.
 */
public final class ExecAnswer {

  private static final ExecAnswer BY_HAND =
      new ExecAnswer(true, 0, null, null, Map.of(), null, null);
  private static final FileRef ANY_FILE = new FileRef(Digest.of(new byte[0]), 0);

  private final boolean byHand;
  private final int exitCode;
  private final @Nullable String stdout;
  private final @Nullable String stderr;
  private final Map<String, String> outputs;
  private final @Nullable Throwable failure;
  private final @Nullable Duration delay;

  private ExecAnswer(boolean byHand, int exitCode, @Nullable String stdout, @Nullable String stderr,
      Map<String, String> outputs, @Nullable Throwable failure, @Nullable Duration delay) {
    this.byHand = byHand;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
    this.outputs = outputs;
    this.failure = failure;
    this.delay = delay;
  }

  /**
   * Returns the answer that ends the exec with exit code 0.
   *
   * @return the answer, ending at once with no output unless more is added
   */
  public static ExecAnswer succeed() {
    return exit(0);
  }

  /**
   * Returns the answer that ends the exec with {@code exitCode}; anything but 0 is a failed
   * attempt.
   *
   * @param exitCode the process exit code
   * @return the answer, ending at once with no output unless more is added
   */
  public static ExecAnswer exit(int exitCode) {
    return new ExecAnswer(false, exitCode, null, null, Map.of(), null, null);
  }

  /**
   * Returns the answer that makes the exec's result fail with {@code cause}: an
   * {@link org.stowage.scheduler.AllocLostException} loses the task (it runs again elsewhere),
   * anything else is a failed attempt.
   *
   * @param cause what the result's future fails with
   * @return the answer, failing at once unless {@link #after} says otherwise
   */
  public static ExecAnswer fail(Throwable cause) {
    return new ExecAnswer(false, 0, null, null, Map.of(), Objects.requireNonNull(cause, "cause"),
        null);
  }

  /**
   * Returns the answer that leaves the exec running until the test ends it, through
   * {@link FakeAlloc#takeExec} or {@link FakeAlloc#running()}, or the scheduler kills it.
   *
   * @return the answer
   */
  public static ExecAnswer byHand() {
    return BY_HAND;
  }

  /**
   * Returns this answer with an output file: its bytes go into the alloc's repository when the exec
   * ends, and the result reports it at {@code path}.
   *
   * @param path the file's relative path among the outputs, without {@code .} or {@code ..}
   *     segments; not already given
   * @param content the file's text, stored as UTF-8
   * @return the new answer
   * @throws IllegalArgumentException if the path is not a clean relative path, is already given,
   *     or is both a file and the directory of another output
   * @throws IllegalStateException if the answer fails the exec or leaves it to the test
   */
  public ExecAnswer output(String path, String content) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    requireResult("output " + path);
    if (outputs.containsKey(path)) {
      throw new IllegalArgumentException("output " + path + " was already given");
    }
    Map<String, String> more = new TreeMap<>(outputs);
    more.put(path, content);
    Map<String, FileRef> check = new TreeMap<>();
    for (String p : more.keySet()) {
      check.put(p, ANY_FILE);
    }
    Fileset.of(check); // refuses a bad path, naming it
    return new ExecAnswer(false, exitCode, stdout, stderr, Collections.unmodifiableMap(more),
        null, delay);
  }

  /**
   * Returns this answer with the tail of standard output the result reports.
   *
   * @param text the standard output
   * @return the new answer
   * @throws IllegalStateException if standard output was already given, or the answer fails the
   *     exec or leaves it to the test
   */
  public ExecAnswer stdout(String text) {
    Objects.requireNonNull(text, "text");
    requireResult("stdout");
    requireUnsetText(stdout, "stdout");
    return new ExecAnswer(false, exitCode, text, stderr, outputs, null, delay);
  }

  /**
   * Returns this answer with the tail of standard error the result reports.
   *
   * @param text the standard error
   * @return the new answer
   * @throws IllegalStateException if standard error was already given, or the answer fails the
   *     exec or leaves it to the test
   */
  public ExecAnswer stderr(String text) {
    Objects.requireNonNull(text, "text");
    requireResult("stderr");
    requireUnsetText(stderr, "stderr");
    return new ExecAnswer(false, exitCode, stdout, text, outputs, null, delay);
  }

  /**
   * Returns this answer ending the exec {@code delay} after it starts, on the cluster's
   * {@linkplain FakeCluster.Builder#timeSource time source}, instead of at once. A delay of 100
   * years or more leaves it running until killed.
   *
   * @param delay how long the exec runs; not negative
   * @return the new answer
   * @throws IllegalStateException if a delay was already given, or the answer leaves the exec to
   *     the test
   */
  public ExecAnswer after(Duration delay) {
    requireNotNegative(delay, "delay");
    if (byHand) {
      throw new IllegalStateException("an exec left to the test has no delay: it ends when the"
          + " test ends it");
    }
    if (this.delay != null) {
      throw new IllegalStateException("delay was already set to " + this.delay);
    }
    return new ExecAnswer(false, exitCode, stdout, stderr, outputs, failure, delay);
  }

  boolean isByHand() {
    return byHand;
  }

  Duration delay() {
    return delay != null ? delay : Duration.ZERO;
  }

  /** Ends {@code exec} as this answer says, unless it has ended already. */
  void end(FakeExec exec) {
    if (exec.isDone()) {
      return;
    }
    if (failure != null) {
      exec.fail(failure);
      return;
    }
    exec.finish(exitCode, stdout != null ? stdout : "", stderr != null ? stderr : "", outputs);
  }

  private void requireResult(String what) {
    if (byHand) {
      throw new IllegalStateException("an exec left to the test has no " + what
          + ": give it to the FakeExec when ending it");
    }
    if (failure != null) {
      throw new IllegalStateException("a failed exec has no " + what + ": it fails with "
          + failure);
    }
  }

  private static void requireUnsetText(@Nullable String value, String what) {
    if (value != null) {
      throw new IllegalStateException(what + " was already set to "
          + org.stowage.scheduler.internal.Checks.quote(value));
    }
  }

  @Override
  public String toString() {
    if (byHand) {
      return "by hand";
    }
    String end = failure != null ? "fail with " + failure : "exit " + exitCode
        + (outputs.isEmpty() ? "" : " with outputs " + outputs.keySet());
    return delay == null ? end : end + " after " + delay;
  }
}
