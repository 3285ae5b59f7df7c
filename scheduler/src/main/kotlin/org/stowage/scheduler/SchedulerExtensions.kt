// Coroutine extensions over the Java Scheduler API.

package org.stowage.scheduler

import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.future.await

/**
 * Submits [tasks] as one batch ([Scheduler.submit]) and suspends until every one of them is DONE.
 * The calling thread is never blocked.
 *
 * Failures: this waits for every task, whatever becomes of the others; it does not stop the batch
 * at the first failure. If all succeeded, it returns the tasks. If any failed, it throws the
 * [TaskException] of the first failed task in the order of [tasks], with the errors of the other
 * failed tasks added to it as suppressed exceptions; every task is DONE by then, and each one's
 * [Task.status] says how it ended. To stop a batch at its first failure instead, await each task
 * with [awaitState] inside `coroutineScope`: the failure cancels the other awaits, and so their
 * tasks.
 *
 * Cancellation: cancelling the calling coroutine (or a [kotlinx.coroutines.withTimeout] around
 * this call) [cancels][Task.cancel] every task of the batch that is not yet DONE, then rethrows the
 * cancellation. A coroutine that is already cancelled submits nothing.
 *
 * @param tasks the tasks, none of them submitted before
 * @return [tasks], in their order, all DONE with success
 * @throws TaskException if a task ended without success (see above)
 * @throws IllegalArgumentException as [Scheduler.submit]: if [tasks] is empty or a task was
 *     already submitted or is done; then none is submitted
 * @throws IllegalStateException if the scheduler is closed
 */
public suspend fun Scheduler.submitAndAwaitAll(tasks: Collection<Task>): List<Task> {
  currentCoroutineContext().ensureActive()
  val batch: List<Task> = tasks.toList()
  submit(batch)
  val done: List<CompletableFuture<Task>> = batch.map { it.await(State.DONE) }
  try {
    // allOf completes once every future has, whether it failed or not.
    CompletableFuture.allOf(*done.toTypedArray()).exceptionally { null }.await()
  } catch (e: CancellationException) {
    done.forEach { it.cancel(false) }
    batch.forEach { it.cancel() }
    throw e
  }
  val errors: List<TaskException> = batch.mapNotNull { it.error() }
  if (errors.isNotEmpty()) {
    val first = errors[0]
    errors.drop(1).forEach(first::addSuppressed)
    throw first
  }
  return batch
}

/**
 * Returns a cold flow of this scheduler's events ([Scheduler.subscribe]), in the order they
 * happen: task changes, allocs up and down, refused allocation requests.
 *
 * Each collection subscribes when it starts, so it sees the events from then on, and unsubscribes
 * when it ends. The flow completes after [SchedulerEvent.Closed], the last event of a scheduler
 * (a collection that starts after the close gets just that one); to end it earlier, cancel the
 * collector or use an operator such as `takeWhile` or `first`.
 *
 * Events are buffered without limit between the scheduler's callback thread and the collector, so
 * a slow collector misses none and never holds up the scheduler, but the buffer grows while it
 * lags. To bound it, apply `conflate()` or `buffer(capacity, BufferOverflow.DROP_OLDEST)`, which
 * replace this buffer and drop events instead.
 *
 * @return the flow of this scheduler's events
 */
public fun Scheduler.events(): Flow<SchedulerEvent> {
  val scheduler: Scheduler = this
  return callbackFlow {
    val subscription = scheduler.subscribe { event ->
      trySend(event)
      if (event is SchedulerEvent.Closed) {
        channel.close()
      }
    }
    awaitClose { subscription.close() }
  }.buffer(Channel.UNLIMITED)
}
