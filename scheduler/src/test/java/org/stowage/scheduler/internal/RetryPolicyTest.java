package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.repository.RepositoryException;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.internal.RetryPolicy.Outcome;

/** The rules for how attempts end and what follows, called directly. */
class RetryPolicyTest {

  private static final Digest DATA = Digest.of("data".getBytes(StandardCharsets.UTF_8));
  private static final Fileset FILES = Fileset.of(Map.of("out/data.txt", new FileRef(DATA, 4)));

  private final RetryPolicy policy = new RetryPolicy(3, 2);
  private final Task task = Task.newBuilder().name("sort").command("true")
      .resources(Resources.of("cpu", 1))
      .input("in", Fileset.of(Map.of("data.txt", new FileRef(DATA, 4)))).build();
  private final ExecResult ok = new ExecResult(0, "", "", Fileset.empty());

  @Test
  void anAttemptBeingStoppedEndsWithTheReasonWhateverItsExecDid() {
    TaskException cancelled = new TaskException(Kind.CANCELLED, "cancelled");
    assertSame(cancelled, ended(RetryPolicy.afterExec(task, "a1", cancelled, ok, null)));
    assertSame(cancelled, ended(RetryPolicy.afterExec(task, "a1", cancelled, null,
        new AllocLostException("gone"))));
    assertSame(cancelled, ended(RetryPolicy.afterStaging(task, "a1", cancelled,
        new IllegalStateException("disk full"))));
    assertSame(cancelled, ended(RetryPolicy.afterUpload(task, "a1", cancelled, ok,
        new IllegalStateException("disk full"))));
  }

  @Test
  void anExecsEndReadsAsSucceededLostOrFailed() {
    assertSame(ok, ((Outcome.Succeeded) RetryPolicy.afterExec(task, "a1", null, ok, null))
        .result());
    Outcome lost = RetryPolicy.afterExec(task, "a1", null, null, new AllocLostException("gone"));
    assertEquals("alloc a1 was lost: gone", ((Outcome.Lost) lost).why());

    Outcome.Failed threw = (Outcome.Failed) RetryPolicy.afterExec(task, "a1", null, null,
        new IllegalStateException("no such file"));
    assertEquals("its exec failed on alloc a1: IllegalStateException: no such file", threw.why());
    assertNull(threw.result());
    assertInstanceOf(IllegalStateException.class, threw.cause());

    ExecResult exit3 = new ExecResult(3, "", "", Fileset.empty());
    Outcome.Failed exited = (Outcome.Failed) RetryPolicy.afterExec(task, "a1", null, exit3, null);
    assertEquals("its command exited with code 3 on alloc a1", exited.why());
    assertSame(exit3, exited.result());

    Outcome.Failed nothing = (Outcome.Failed) RetryPolicy.afterExec(task, "a1", null, null, null);
    assertEquals("its exec failed on alloc a1: no result", nothing.why());
  }

  @Test
  void aMissingOrCorruptInputEndsTheTaskAtOnceAndAnUnavailableOneIsAFailure() {
    TaskException missing = ended(RetryPolicy.afterStaging(task, "a1", null,
        RepositoryException.notFound("repo", DATA)));
    assertEquals(Kind.NOT_FOUND, missing.kind());
    assertTrue(missing.getMessage().contains("input in/data.txt is missing"),
        missing.getMessage());

    TaskException corrupt = ended(RetryPolicy.afterStaging(task, "a1", null,
        RepositoryException.corrupt("repo", DATA, "bad bytes")));
    assertEquals(Kind.CORRUPT, corrupt.kind());

    Outcome.Failed down = (Outcome.Failed) RetryPolicy.afterStaging(task, "a1", null,
        RepositoryException.unavailable("repo", DATA, "down", null));
    assertTrue(down.why().startsWith("staging its inputs onto alloc a1 failed: "), down.why());
  }

  @Test
  void aFailedUploadIsAFailureThatNamesTheOutput() {
    ExecResult withOutput = new ExecResult(0, "", "", FILES);
    Outcome.Failed corrupt = (Outcome.Failed) RetryPolicy.afterUpload(task, "a1", null,
        withOutput, RepositoryException.corrupt("repo", DATA, "bad bytes"));
    assertTrue(corrupt.why().contains("output out/data.txt is corrupt"), corrupt.why());
    assertSame(withOutput, corrupt.result());

    Outcome.Failed down = (Outcome.Failed) RetryPolicy.afterUpload(task, "a1", null,
        withOutput, new IllegalStateException("down"));
    assertEquals("uploading its outputs from alloc a1 failed: IllegalStateException: down",
        down.why());
  }

  @Test
  void aLostTaskIsTriedAgainUpToTheLostCap() {
    assertNull(policy.afterLost(task, 1, "alloc a1 died"));
    assertNull(policy.afterLost(task, 2, "alloc a2 died"));
    TaskException e = policy.afterLost(task, 3, "alloc a3 died");
    assertEquals(Kind.LOST, e.kind());
    assertTrue(e.getMessage().endsWith(" was lost 3 times (the limit); last: alloc a3 died"),
        e.getMessage());
    assertTrue(new RetryPolicy(1, 1).afterLost(task, 1, "x").getMessage()
        .contains(" was lost 1 time (the limit)"));
  }

  @Test
  void aFailedTaskIsTriedAgainUpToTheFailedCapAndEndsWithTheLastResult() {
    ExecResult exit3 = new ExecResult(3, "", "", Fileset.empty());
    Outcome.Failed failure = new Outcome.Failed("its command exited with code 3", exit3, null);
    assertNull(policy.afterFailed(task, 0, 1, failure));
    TaskException e = policy.afterFailed(task, 4, 2, failure);
    assertEquals(Kind.FAILED, e.kind());
    assertTrue(e.getMessage().endsWith(" failed: its command exited with code 3 (attempt 5; 2"
        + " failed of at most 2)"), e.getMessage());
    assertSame(exit3, e.result());
  }

  private static TaskException ended(Outcome outcome) {
    return ((Outcome.Ended) outcome).error();
  }
}
