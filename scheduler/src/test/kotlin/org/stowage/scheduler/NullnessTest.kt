package org.stowage.scheduler

import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.time.Duration
import java.util.concurrent.CompletableFuture
import kotlin.reflect.KType
import kotlin.reflect.typeOf
import kotlinx.coroutines.flow.Flow
import org.junit.jupiter.api.Test

/**
 * The type the compiler gives the result of [call], as written at the call site: `T`, `T?`, or the
 * platform type `T!` of a Java API without nullness annotations, which [typeOf] keeps apart from
 * both. [call] is not run.
 */
@Suppress("UNUSED_PARAMETER")
private inline fun <reified T> typeOfResult(noinline call: suspend () -> T): KType = typeOf<T>()

/**
 * Kotlin sees the Java API's JSpecify nullness (`@NullMarked` packages, `@Nullable` where null is
 * allowed) as Kotlin types, and the Kotlin extensions add no platform type. Each check fails if a
 * result reads as `T!`, or as `T` where it should be `T?`, or the other way round.
 */
class NullnessTest {

  private val task: Task = Task.newBuilder().command("true").build()
  private val scheduler: Scheduler? = null

  @Test
  fun aJavaApiWithoutAnnotationsReadsAsAPlatformTypeWhichTheseChecksCatch() {
    val property = typeOfResult { System.getProperty("java.version") }
    property shouldNotBe typeOf<String>()
    property shouldNotBe typeOf<String?>()
    property.toString() shouldBe "kotlin.String!"
  }

  @Test
  fun nullableJavaResultsAreNullableInKotlinAndTheOthersAreNot() {
    typeOfResult { task.result() } shouldBe typeOf<ExecResult?>()
    typeOfResult { task.error() } shouldBe typeOf<TaskException?>()
    typeOfResult { task.timeout() } shouldBe typeOf<Duration?>()
    typeOfResult { task.status() } shouldBe typeOf<TaskStatus>()
    typeOfResult { task.status().allocId } shouldBe typeOf<String?>()
    typeOfResult { task.status().waiting } shouldBe typeOf<WaitReason?>()
    typeOfResult { task.state() } shouldBe typeOf<State>()
    typeOfResult { task.id() } shouldBe typeOf<String>()
    typeOfResult { task.await(State.DONE) } shouldBe typeOf<CompletableFuture<Task>>()
    typeOfResult { task.subscribe { } } shouldBe typeOf<AutoCloseable>()
    typeOfResult { task.error()?.result() } shouldBe typeOf<ExecResult?>()
    typeOfResult { scheduler!!.counts() } shouldBe typeOf<SchedulerStats.Counts>()
  }

  @Test
  fun theKotlinExtensionsHaveNoPlatformTypes() {
    typeOfResult { task.awaitState(State.DONE) } shouldBe typeOf<Task>()
    typeOfResult { task.states() } shouldBe typeOf<Flow<State>>()
    typeOfResult { scheduler!!.submitAndAwaitAll(listOf(task)) } shouldBe typeOf<List<Task>>()
    typeOfResult { scheduler!!.events() } shouldBe typeOf<Flow<SchedulerEvent>>()
  }
}
