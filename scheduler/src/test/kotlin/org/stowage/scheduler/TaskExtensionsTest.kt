package org.stowage.scheduler

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.time.Duration
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.stowage.scheduler.Fixtures.WAIT
import org.stowage.scheduler.Fixtures.scheduler
import org.stowage.scheduler.Fixtures.task
import org.stowage.testing.FakeCluster
import org.stowage.testing.FakeTimeSource

/** [awaitState] and [states]: waiting on a task from a coroutine, and cancellation both ways. */
@Timeout(60)
class TaskExtensionsTest {

  /** Grants every request at once; execs run until the test ends them. */
  private val cluster: FakeCluster = FakeCluster.newBuilder().automatic().build()
  private val scheduler: Scheduler = scheduler(cluster).build()

  @AfterEach
  fun closeAndCheckLeaks() {
    scheduler.close()
    cluster.checkNoLeaks()
  }

  @Test
  // A separate thread, so that an await that blocks its thread fails here instead of hanging.
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  fun tenThousandCoroutinesAwaitingDoneLeaveTheirOneThreadFreeForOtherWork() {
    val time = FakeTimeSource()
    val timed = FakeCluster.newBuilder().automatic()
        .execDuration(Duration.ofMinutes(1)).timeSource(time).build()
    scheduler(timed).build().use { s ->
      // runBlocking runs every coroutine below on this one thread.
      runBlocking {
        val loop = Thread.currentThread()
        val tasks = List(10_000) { task(1.0, 1.0) }
        s.submit(tasks)
        var resumed = 0
        val awaits = tasks.map { t ->
          async {
            t.awaitState(State.DONE).also {
              Thread.currentThread() shouldBeSameInstanceAs loop
              resumed++
            }
          }
        }
        // Every exec has started and none can end before the fake clock moves: all 10,000 awaits
        // of DONE are suspended now, and the thread still runs this coroutine...
        tasks.forEach { it.awaitState(State.RUNNING) }
        // ...and any other.
        var ticks = 0
        launch { repeat(1_000) { ticks++; yield() } }.join()
        ticks shouldBe 1_000
        resumed shouldBe 0

        time.advance(Duration.ofMinutes(1))

        awaits.awaitAll().count { it.status().succeeded() } shouldBe 10_000
        resumed shouldBe 10_000
      }
    }
    timed.checkNoLeaks()
  }

  @Test
  fun aTimeoutAroundAnAwaitCancelsTheTaskAndItsAllocRunsTheNextTask() = runBlocking<Unit> {
    val stuck = task(2.0, 2.0)
    scheduler.submit(stuck)
    stuck.awaitState(State.RUNNING)
    val alloc = cluster.allocs().single()
    val exec = alloc.execs().single()

    shouldThrow<TimeoutCancellationException> {
      withTimeout(100) { stuck.awaitState(State.DONE) }
    }

    val error = shouldThrow<TaskException> {
      withTimeout(WAIT.toMillis()) { stuck.awaitState(State.DONE) }
    }
    error.kind() shouldBe TaskException.Kind.CANCELLED
    exec.isKilled shouldBe true
    // The next task needs the whole alloc: it gets it, so the cancelled task's share came back.
    val next = task(2.0, 2.0)
    scheduler.submit(next)
    next.awaitState(State.RUNNING)
    alloc.execs().map { it.id() } shouldContainExactly listOf(stuck.id(), next.id())
    alloc.execs()[1].succeed()
    next.awaitState(State.DONE)
    cluster.requests() shouldHaveSize 1
    scheduler.counts().cancelled shouldBe 1
  }

  @Test
  fun withCancelTaskOnCancellationFalseATimeoutStopsOnlyTheWait() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    scheduler.submit(t)
    t.awaitState(State.RUNNING)
    val exec = cluster.allocs().single().execs().single()

    shouldThrow<TimeoutCancellationException> {
      withTimeout(100) { t.awaitState(State.DONE, cancelTaskOnCancellation = false) }
    }

    // Had the task been cancelled, its exec would be killed already and could not succeed.
    exec.succeed() shouldBe true
    t.awaitState(State.DONE).status().succeeded() shouldBe true
    exec.isKilled shouldBe false
  }

  @Test
  fun aTaskCancelledFromJavaFailsTheAwaitWithItsCancelledErrorNotACancellation() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    scheduler.submit(t)

    val error = shouldThrow<TaskException> {
      coroutineScope {
        launch {
          t.awaitState(State.RUNNING)
          t.cancel()
        }
        t.awaitState(State.DONE)
      }
    }

    error.kind() shouldBe TaskException.Kind.CANCELLED
    error shouldBeSameInstanceAs t.error()
  }

  @Test
  fun aFailedTaskFailsTheAwaitWithItsErrorAndExitCode() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    scheduler.submit(t)
    t.awaitState(State.RUNNING)
    cluster.allocs().single().execs().single().exit(3)

    val error = shouldThrow<TaskException> { t.awaitState(State.DONE) }

    error.kind() shouldBe TaskException.Kind.FAILED
    error.result()?.exitCode shouldBe 3
    error shouldBeSameInstanceAs t.error()
  }

  @Test
  fun aStateAlreadyReachedReturnsAtOnce() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    t.awaitState(State.INIT) shouldBeSameInstanceAs t
    scheduler.submit(t)
    t.awaitState(State.RUNNING)
    cluster.allocs().single().execs().single().succeed()
    t.awaitState(State.DONE) shouldBeSameInstanceAs t
    // Past RUNNING for good: satisfied at once, and not cancelled by a coroutine that is done.
    t.awaitState(State.RUNNING).status().succeeded() shouldBe true
  }

  @Test
  fun theStatesOfATaskLostOnceRunFromInitToDoneThroughLostAndInitAgain() = runBlocking<Unit> {
    val manual = Fixtures.cluster().build()
    scheduler(manual).build().use { s ->
      val t = task(1.0, 1.0)
      val states = mutableListOf<State>()
      val subscribed = CompletableDeferred<Unit>()
      val collector = launch {
        t.states().collect {
          states += it
          subscribed.complete(Unit)
        }
      }
      subscribed.await()

      s.submit(t)
      val first = blocking { manual.takeRequest(WAIT).grant() }
      blocking { first.takeExec(WAIT) }
      t.awaitState(State.RUNNING)
      first.fail("machine unplugged")
      val second = blocking { manual.takeRequest(WAIT).grant() }
      blocking { second.takeExec(WAIT) }.succeed()

      collector.join() // the flow completes by itself after DONE
      states shouldContainExactly listOf(State.INIT, State.STAGING, State.RUNNING, State.LOST,
          State.INIT, State.STAGING, State.RUNNING, State.DONE)
      t.attempt() shouldBe 1
    }
    manual.checkNoLeaks()
  }

  @Test
  fun theStatesOfATaskThatIsAlreadyDoneAreDoneAlone() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    t.cancel()
    t.states().toList() shouldContainExactly listOf(State.DONE)
  }

  @Test
  fun theStatesOfAFailedTaskEndWithDoneWithoutFailingTheFlow() = runBlocking<Unit> {
    val t = task(1.0, 1.0)
    val states = async { t.states().toList() }
    scheduler.submit(t)
    t.awaitState(State.RUNNING)
    cluster.allocs().single().execs().single().exit(1)
    states.await().last() shouldBe State.DONE
    t.error()?.kind() shouldBe TaskException.Kind.FAILED
    cluster.allocs().single().running().shouldBeEmpty()
  }
}
