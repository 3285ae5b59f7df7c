package org.stowage.scheduler.internal;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecResult;

/**
 * What the engine's thread is told, by the scheduler's callers, by the timers and by the calls out
 * that it made: each a record, posted to the {@link EventLoop} and handled on its thread, in order.
 * Their {@code toString()} reads only what does not change, so that a trace of recent events can be
 * printed from any thread. Not API.
 */
sealed interface Event {

  /** Tasks claimed by a {@code submit}. */
  record Submitted(List<TaskRecord> tasks) implements Event {
    @Override
    public String toString() {
      int n = tasks.size();
      StringBuilder out =
          new StringBuilder("Submitted[").append(n).append(n == 1 ? " task" : " tasks");
      for (int i = 0; i < Math.min(n, 3); i++) {
        out.append(i == 0 ? ": " : ", ").append(tasks.get(i));
      }
      return out.append(n > 3 ? ", ...]" : "]").toString();
    }
  }

  /** A caller asked to cancel a task. */
  record CancelAsked(TaskRecord task) implements Event {}

  /** A caller asked to close the scheduler. */
  record CloseAsked() implements Event {}

  /** The drain deadline may have come. */
  record DrainDue() implements Event {}

  /** The backoff after a refused allocation is over. */
  record BackoffOver() implements Event {}

  /** The cluster answered an allocation request: an alloc, or an error. */
  record AllocAnswered(PendingAlloc request, @Nullable Alloc alloc, @Nullable Throwable error)
      implements Event {
    @Override
    public String toString() {
      return "AllocAnswered[" + request + (error != null ? ", error=" + error : ", granted") + "]";
    }
  }

  /** It is time to send a live alloc its next keepalive. */
  record KeepaliveDue(LiveAlloc alloc) implements Event {}

  /** A keepalive answered: the next interval, or an error. */
  record KeepaliveAnswered(LiveAlloc alloc, long token, @Nullable Duration next,
      @Nullable Throwable error) implements Event {}

  /** A keepalive did not answer within the keepalive timeout. */
  record KeepaliveTimedOut(LiveAlloc alloc, long token) implements Event {}

  /** An alloc that became idle at {@code since} may have been idle too long. */
  record IdleCheck(LiveAlloc alloc, long since) implements Event {}

  /** An attempt's inputs are on its alloc. */
  record Staged(Attempt attempt) implements Event {}

  /** Staging an attempt's inputs failed. */
  record StagingFailed(Attempt attempt, @Nullable Throwable cause) implements Event {}

  /** An attempt's exec started. */
  record ExecStarted(Attempt attempt, Exec exec) implements Event {
    @Override
    public String toString() {
      return "ExecStarted[" + attempt + "]";
    }
  }

  /** An attempt's exec ended with a result, or failed, or could not start. */
  record ExecEnded(Attempt attempt, @Nullable ExecResult result, @Nullable Throwable error)
      implements Event {
    @Override
    public String toString() {
      return "ExecEnded[" + attempt + (result != null ? ", exit code " + result.exitCode() : "")
          + (error != null ? ", error=" + error : "") + "]";
    }
  }

  /** An attempt's outputs were copied to its task's repository, or the copy failed. */
  record Uploaded(Attempt attempt, ExecResult result, @Nullable Throwable error)
      implements Event {
    @Override
    public String toString() {
      return "Uploaded[" + attempt + (error != null ? ", error=" + error : "") + "]";
    }
  }

  /** An attempt ran past its task's timeout. */
  record TimedOut(Attempt attempt) implements Event {}

  /** An attempt's exec did not end within the kill timeout of being killed. */
  record KillTimedOut(Attempt attempt) implements Event {}

  /** Closing: every alloc has been freed (or failed to be). */
  record AllFreed() implements Event {}
}
