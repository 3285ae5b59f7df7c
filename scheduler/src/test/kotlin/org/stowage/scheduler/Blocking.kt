package org.stowage.scheduler

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * Runs a blocking call of the test kit (`takeRequest`, `takeExec`, each with its own timeout) on
 * the IO dispatcher, so the test's own coroutine thread keeps delivering flows and awaits.
 */
internal suspend fun <T> blocking(call: () -> T): T = withContext(Dispatchers.IO) { call() }
