package org.stowage.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.TimeSource;

/**
 * An {@link Exec} that a test ends by hand ({@link #succeed()}, {@link #exit(int)},
 * {@link #fail(Throwable)}) or that ends as the cluster's {@link ExecPolicy} said when it started.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FakeExec implements Exec {

  /** The exit code a killed fake exec reports, as a process killed by SIGKILL would. */
  public static final int KILLED_EXIT_CODE = 137;

  private final ExecRequest request;
  private final FakeAlloc alloc;
  private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  private final Throwable startedAt;
  private final Map<String, FileRef> outputs = new ConcurrentSkipListMap<>();
  private volatile boolean killed;
  private volatile boolean runningWhenFreed;
  private volatile TimeSource.@Nullable Cancellable scripted;

  FakeExec(ExecRequest request, FakeAlloc alloc) {
    this.request = request;
    this.alloc = alloc;
    this.startedAt = new Throwable("exec " + request.id() + " on alloc " + alloc.id()
        + " was started here");
  }

  @Override
  public String id() {
    return request.id();
  }

  /**
   * Returns what the scheduler asked to run.
   *
   * @return the request the exec was started with
   */
  public ExecRequest request() {
    return request;
  }

  /**
   * Returns the alloc it runs on.
   *
   * @return the alloc that started it
   */
  public FakeAlloc alloc() {
    return alloc;
  }

  @Override
  public CompletableFuture<ExecResult> result() {
    return result;
  }

  @Override
  public void kill() {
    killed = true;
    result.complete(new ExecResult(KILLED_EXIT_CODE, "", "killed", Fileset.empty()));
    TimeSource.Cancellable end = scripted;
    if (end != null) {
      end.cancel();
    }
  }

  /**
   * Returns true if the scheduler killed this exec.
   *
   * @return whether {@link #kill()} was called
   */
  public boolean isKilled() {
    return killed;
  }

  /**
   * Returns true once the exec has ended, however.
   *
   * @return whether the result is complete
   */
  public boolean isDone() {
    return result.isDone();
  }

  /**
   * Writes an output file: its bytes go into the alloc's repository, and the next
   * {@link #succeed()} or {@link #exit(int)} reports it at {@code path}.
   *
   * @param path the file's relative path among the outputs
   * @param content the file's text, stored as UTF-8
   * @return this exec
   */
  public FakeExec output(String path, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Digest d = alloc.repository().put(new java.io.ByteArrayInputStream(bytes));
    outputs.put(path, new FileRef(d, bytes.length));
    return this;
  }

  /**
   * Ends the exec with exit code 0 and the outputs written so far; false if it had ended.
   *
   * @return false if the exec had already ended
   */
  public boolean succeed() {
    return exit(0);
  }

  /**
   * Ends the exec with {@code exitCode}; false if it had already ended.
   *
   * @param exitCode the process exit code
   * @return false if the exec had already ended
   */
  public boolean exit(int exitCode) {
    return complete(new ExecResult(exitCode, "", "", Fileset.of(outputs)));
  }

  /**
   * Ends the exec with {@code result}; false if it had already ended.
   *
   * @param result the result to report
   * @return false if the exec had already ended
   */
  public boolean complete(ExecResult result) {
    return this.result.complete(result);
  }

  /**
   * Makes the exec fail with {@code cause}; false if it had already ended.
   *
   * @param cause what the result's future fails with
   * @return false if the exec had already ended
   */
  public boolean fail(Throwable cause) {
    return result.completeExceptionally(cause);
  }

  /** Ends the exec as {@code answer} says: now, later on {@code time}, or never by itself. */
  void play(ExecAnswer answer, TimeSource time) {
    if (answer.isByHand()) {
      return;
    }
    Duration delay = answer.delay();
    if (delay.isZero()) {
      answer.end(this);
    } else {
      TimeSource.Cancellable end = time.schedule(delay, () -> answer.end(this));
      scripted = end;
      if (isDone()) { // ended meanwhile (killed): the timer must not linger
        end.cancel();
      }
    }
  }

  /**
   * Ends the exec with {@code exitCode}, the given text and {@code files} written as outputs on
   * top of those written so far; false if it had already ended.
   */
  boolean finish(int exitCode, String stdout, String stderr, Map<String, String> files) {
    files.forEach(this::output);
    return complete(new ExecResult(exitCode, stdout, stderr, Fileset.of(outputs)));
  }

  Throwable startedAt() {
    return startedAt;
  }

  void runningWhenFreed() {
    runningWhenFreed = true;
  }

  boolean wasRunningWhenFreed() {
    return runningWhenFreed;
  }

  @Override
  public String toString() {
    return "fake exec " + request.id() + (isDone() ? " (done)" : " (running)");
  }
}
