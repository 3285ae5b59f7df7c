package org.stowage.scheduler.internal;

import java.util.concurrent.CompletableFuture;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecResult;

/**
 * A call out that a batch of events decided on, made at the end of the batch once the batch's
 * changes are visible (see {@code Engine}): each a record, so that it shows in a trace of recent
 * events. Their {@code toString()} reads only what does not change. Not API.
 */
sealed interface Effect {

  /** Send an allocation request to the cluster. */
  record SendRequest(PendingAlloc request) implements Effect {}

  /** Copy an attempt's inputs, if any, to its alloc's repository. */
  record Stage(Attempt attempt) implements Effect {}

  /** Start an attempt's exec, on the I/O executor. */
  record Start(Attempt attempt) implements Effect {}

  /** Copy the outputs in an attempt's {@code result} from its alloc's repository {@code to}. */
  record Upload(Attempt attempt, ExecResult result, Repository to) implements Effect {
    @Override
    public String toString() {
      return "Upload[" + attempt + "]";
    }
  }

  /** Kill an exec, on the I/O executor. */
  record Kill(String attempt, Exec exec) implements Effect {
    @Override
    public String toString() {
      return "Kill[" + attempt + "]";
    }
  }

  /**
   * Free an alloc on the I/O executor, holding {@code lock}; complete {@code freed} when it is
   * freed or failed to be.
   */
  record Free(String id, Alloc alloc, Object lock, CompletableFuture<Void> freed)
      implements Effect {
    @Override
    public String toString() {
      return "Free[alloc " + id + "]";
    }
  }
}
