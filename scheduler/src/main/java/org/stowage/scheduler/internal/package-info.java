/**
 * The scheduling engine. Not API: names here may change in any release.
 *
 * <ul>
 *   <li>{@code Engine}: the coordinator of the rooms below, whose class comment is the design:
 *       one owner thread, batches made visible in order, closing.
 *   <li>{@code TaskQueue}: the waiting tasks (the drain, then the queue in order) and what becomes
 *       of a task between attempts: done, tried again or given up.
 *   <li>{@code Pass}: applies the plans of {@code Placement} and {@code RequestPlanner} after a
 *       batch: statuses, attempts begun, requests sent.
 *   <li>{@code Publisher}: a batch's changes made visible at its end: stats, statuses, then
 *       deliveries to waiters and listeners.
 *   <li>{@code EventLoop}: the engine's thread and queue; it counts the work in flight, so that a
 *       fake time source can run the engine until idle, and remembers the recent events.
 *   <li>{@code Event}, {@code Effect}: what the engine is told, and the calls out it makes at the
 *       end of a batch, as records.
 *   <li>{@code Attempt}: one try of a task on an alloc, phase by phase (staging, starting,
 *       running, uploading, ended), and its stop by timeout, cancel or close.
 *   <li>{@code RetryPolicy}: what an attempt's end comes to, and whether a lost or failed one is
 *       tried again; pure.
 *   <li>{@code Transfers}, {@code Failures}: copies of a task's files with retries, and reading
 *       the errors of calls out.
 *   <li>{@code AllocPool}: the requests in flight and the live allocs: keepalives, idle allocs
 *       freed, dead ones given up, backoff after a refusal, and freeing them all on close.
 *   <li>{@code LiveAlloc}, {@code PendingAlloc}: an alloc that is up, and a request in flight.
 *   <li>{@code Batcher}: the drain, which gathers a burst of submissions before they are placed;
 *       pure, with the time passed in.
 *   <li>{@code Placement}: which live alloc each waiting task goes on (the one it fits best), and
 *       which alloc a starved task that fits none holds; pure.
 *   <li>{@code RequestPlanner}: what to ask the cluster for: waiting tasks credited to the requests
 *       in flight, the rest packed into new requests; pure.
 *   <li>{@code Packer}: the packing math under both: vector best fit, and the packing of waiting
 *       tasks into requests.
 *   <li>{@code TaskRecord}: the engine's bookkeeping for a submitted task, and the hook through
 *       which it claims the task and publishes its statuses (which, with their waiters and
 *       listeners, live with the task in the API).
 *   <li>{@code Admissions}: the {@code NEVER} check the backends make before allocating.
 *   <li>{@code Checks}, {@code DaemonThreads}: the builders' argument checks and the thread
 *       factory of the threads the scheduler and the clusters own.
 * </ul>
 *
 * <p>The process and sandbox machinery that the cluster backends run execs with lives apart, in
 * {@code internal.process}; the engine does not use it.
 */
@NullMarked
package org.stowage.scheduler.internal;

import org.jspecify.annotations.NullMarked;
