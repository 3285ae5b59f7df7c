package org.stowage.scheduler

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.time.Duration
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.transformWhile
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.stowage.scheduler.Fixtures.WAIT
import org.stowage.scheduler.Fixtures.scheduler
import org.stowage.scheduler.Fixtures.task
import org.stowage.testing.FakeCluster
import org.stowage.testing.FakeExec

/** [submitAndAwaitAll] and [events]. */
@Timeout(60)
class SchedulerExtensionsTest {

  /** Grants every request at once; execs run until the test ends them. */
  private val cluster: FakeCluster = FakeCluster.newBuilder().automatic().build()
  private val scheduler: Scheduler = scheduler(cluster).build()

  @AfterEach
  fun closeAndCheckLeaks() {
    scheduler.close()
    cluster.checkNoLeaks()
  }

  /** The exec of [task]'s current attempt, once it runs. */
  private suspend fun execOf(task: Task): FakeExec {
    task.awaitState(State.RUNNING, cancelTaskOnCancellation = false)
    return cluster.allocs().flatMap { it.execs() }.single { it.id() == task.id() }
  }

  /** Waits for [task] to be DONE, however it ends. */
  private suspend fun ended(task: Task) {
    try {
      task.awaitState(State.DONE, cancelTaskOnCancellation = false)
    } catch (e: TaskException) {
      // failed: ended all the same
    }
  }

  @Test
  fun submitAndAwaitAllReturnsTheTasksInTheirOrderOnceAllSucceeded() = runBlocking<Unit> {
    val instant = FakeCluster.newBuilder().automatic().execDuration(Duration.ZERO).build()
    scheduler(instant).build().use { s ->
      val tasks = List(20) { task(1.0, 1.0) }

      val done = s.submitAndAwaitAll(tasks)

      done shouldContainExactly tasks
      done.count { it.status().succeeded() } shouldBe 20
    }
    instant.checkNoLeaks()
  }

  @Test
  fun submitAndAwaitAllWaitsForEveryTaskThenThrowsTheFirstFailureInTheirOrder() = runBlocking<Unit> {
    val a = task(1.0, 1.0)
    val b = task(1.0, 1.0)
    val c = task(1.0, 1.0)
    val all = async { runCatching { scheduler.submitAndAwaitAll(listOf(a, b, c)) } }

    // c fails first, then a succeeds, then b fails last.
    execOf(c).exit(3)
    ended(c)
    execOf(a).succeed()
    ended(a)
    execOf(b).exit(2)

    val error = all.await().exceptionOrNull().shouldBeInstanceOf<TaskException>()
    // b comes before c in the batch, and it ended last: the call waited for it.
    error shouldBeSameInstanceAs b.error()
    error.result()?.exitCode shouldBe 2
    error.suppressed.toList() shouldContainExactly listOf(c.error())
    a.status().succeeded() shouldBe true
  }

  @Test
  fun cancellingSubmitAndAwaitAllCancelsEveryTaskOfTheBatch() = runBlocking<Unit> {
    val a = task(1.0, 1.0)
    val b = task(1.0, 1.0)
    val waiting = launch { scheduler.submitAndAwaitAll(listOf(a, b)) }
    val execs = listOf(execOf(a), execOf(b))

    waiting.cancelAndJoin()

    for (t in listOf(a, b)) {
      val error = shouldThrow<TaskException> {
        withTimeout(WAIT.toMillis()) { t.awaitState(State.DONE) }
      }
      error.kind() shouldBe TaskException.Kind.CANCELLED
    }
    execs.count { it.isKilled } shouldBe 2
  }

  @Test
  fun anAlreadyCancelledCoroutineSubmitsNothing() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    var thrown: Throwable? = null
    launch {
      cancel()
      try {
        scheduler.submitAndAwaitAll(listOf(t))
      } catch (e: Throwable) {
        thrown = e
        throw e
      }
    }.join()
    thrown.shouldBeInstanceOf<CancellationException>()

    // Not submitted: it may still be submitted, and runs.
    t.state() shouldBe State.INIT
    scheduler.submit(t)
    execOf(t).succeed()
    t.awaitState(State.DONE).status().succeeded() shouldBe true
  }

  @Test
  fun eventsShowTheAllocComingUpAndTheTaskGoingThroughItsStatesInOrder() = runBlocking<Unit> {
    val t = task(2.0, 2.0)
    // Unconfined runs the collector, and so its subscription, before async returns.
    val events = async(Dispatchers.Unconfined) {
      scheduler.events()
          .transformWhile { e ->
            emit(e)
            !(e is SchedulerEvent.TaskChanged && e.task == t && e.status.state == State.DONE)
          }
          .toList()
    }

    scheduler.submit(t)
    execOf(t).succeed()
    val seen = events.await()

    val alloc = cluster.allocs().single()
    val ups = seen.filterIsInstance<SchedulerEvent.AllocUp>()
    ups shouldHaveSize 1
    ups[0].allocId shouldBe alloc.id()
    ups[0].resources shouldBe alloc.resources()
    val changes = seen.filterIsInstance<SchedulerEvent.TaskChanged>()
    changes.map { it.task }.distinct() shouldContainExactly listOf(t)
    changes.map { it.status.state }.distinct() shouldContainExactly
        listOf(State.INIT, State.STAGING, State.RUNNING, State.DONE)
    // The alloc was up before the task was placed on it.
    val staging =
        seen.indexOfFirst { it is SchedulerEvent.TaskChanged && it.status.state == State.STAGING }
    seen.indexOf(ups[0]) shouldBeLessThan staging
    changes.last().status.result()?.exitCode shouldBe 0
  }

  @Test
  fun eventsCompleteWhenTheSchedulerClosesEvenForALateCollector() = runBlocking<Unit> {
    val own = Scheduler.newBuilder().cluster(cluster).jmx(false).build()
    val events = async(Dispatchers.Unconfined) { own.events().toList() }
    own.close()
    val seen = events.await()
    seen.last() shouldBe SchedulerEvent.Closed(own.name())
    own.events().toList() shouldBe listOf(SchedulerEvent.Closed(own.name()))
  }
}
