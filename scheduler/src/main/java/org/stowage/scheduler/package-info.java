/**
 * Stowage's scheduler: submit {@link org.stowage.scheduler.Task}s to a
 * {@link org.stowage.scheduler.Scheduler}, which packs them into as few allocs as it can, asks its
 * {@link org.stowage.scheduler.Cluster} for more only when the live ones are full, runs each task
 * on its alloc, frees allocs that sit idle, and runs a task again elsewhere when its alloc's
 * keepalive fails.
 *
 * <p>The API a user touches ({@code Scheduler}, {@code Task}, {@code Resources}, {@code State}) and
 * the small service provider interfaces a cluster implements ({@code Cluster}, {@code Alloc},
 * {@code Exec}) live here; the engine lives in {@code org.stowage.scheduler.internal}. The engine
 * may read the API, but the API reaches the engine only through {@code Scheduler}: a task's
 * progress as users see it (status, waits, listeners) lives beside it in {@code TaskProgress}, to
 * which the engine publishes through hooks that {@code Scheduler} hands over at submit.
 *
 * <p>Everything here is null-marked: a parameter or result may be null only where it says
 * {@code @Nullable}.
 */
@NullMarked
package org.stowage.scheduler;

import org.jspecify.annotations.NullMarked;
