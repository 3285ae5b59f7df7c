// Coroutine extensions over the Java Task API. Their names differ from Task's members, because a
// member always wins over an extension of the same name.

package org.stowage.scheduler

import java.util.concurrent.CompletionException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.suspendCancellableCoroutine

/**
 * Suspends until this task first reaches [state] or a state after it, in the order INIT, STAGING,
 * RUNNING, LOST, DONE, and returns this task. The suspending form of [Task.await]; what a state
 * means when a task goes back to INIT is explained there. The calling thread is never blocked.
 *
 * Cancellation, from the coroutine to the task: if the calling coroutine is cancelled while it
 * waits (`job.cancel()`, [kotlinx.coroutines.withTimeout], a failing sibling), the wait stops and,
 * when [cancelTaskOnCancellation] is true (the default), the task is [cancelled][Task.cancel] too:
 * a queued task leaves the queue, a staging or running one has its exec killed and its alloc's
 * resources go back to the scheduler. A coroutine that was already cancelled when it called this
 * function cancels the task the same way. Pass `false` to stop only the wait, as cancelling the
 * Java future does; the task then runs on.
 *
 * Cancellation, from the task to the coroutine: a task that ends DONE without success, including
 * one cancelled by someone else with [Task.cancel], fails this call with the task's own
 * [TaskException] (the one [Task.error] returns; kind CANCELLED for a cancelled task). That is an
 * ordinary exception, not a [kotlinx.coroutines.CancellationException], so it is not mistaken for
 * the cancellation of the caller.
 *
 * @param state the state to wait for
 * @param cancelTaskOnCancellation whether cancelling the waiting coroutine cancels the task
 * @return this task
 * @throws TaskException if the task ended DONE without success by the time it reached [state]
 */
public suspend fun Task.awaitState(state: State, cancelTaskOnCancellation: Boolean = true): Task {
  val task: Task = this
  val future = task.await(state)
  return suspendCancellableCoroutine { continuation ->
    future.whenComplete { reached, error ->
      if (error == null) {
        continuation.resume(reached)
      } else {
        continuation.resumeWithException(
            if (error is CompletionException) error.cause ?: error else error)
      }
    }
    continuation.invokeOnCancellation {
      future.cancel(false)
      if (cancelTaskOnCancellation) {
        task.cancel()
      }
    }
  }
}

/**
 * Returns a cold flow of this task's states, in the order the task goes through them, that
 * completes after DONE.
 *
 * Each collection subscribes to the task ([Task.subscribe]) and unsubscribes when it ends. It
 * starts with the task's state at that moment, then emits each change: consecutive repeats are
 * dropped, so a task that is lost once and then succeeds emits INIT, STAGING, RUNNING, LOST, INIT,
 * STAGING, RUNNING, DONE. A task that is already DONE emits DONE alone. A task that fails ends
 * with DONE too: the flow itself does not fail; read [Task.error] or use [awaitState].
 *
 * States are buffered without limit between the scheduler's callback thread and the collector, so
 * a slow collector misses none and never holds up the scheduler; a task has few states.
 *
 * @return the flow of this task's states
 */
public fun Task.states(): Flow<State> {
  val task: Task = this
  return callbackFlow {
    val subscription = task.subscribe { status ->
      trySend(status.state)
      if (status.state == State.DONE) {
        channel.close()
      }
    }
    awaitClose { subscription.close() }
  }.buffer(Channel.UNLIMITED).distinctUntilChanged()
}
