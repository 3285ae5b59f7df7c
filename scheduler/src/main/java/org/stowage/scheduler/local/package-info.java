/**
 * The embedded cluster: {@link org.stowage.scheduler.local.LocalCluster} runs tasks as OS
 * processes on this machine, in allocs that are slices of its cpu and memory.
 *
 * <p>Design note. An alloc here is bookkeeping plus a directory: the cluster keeps a free pool of
 * cpu and memory and hands slices of it out at once or refuses at once ({@code NOT_NOW}), so the
 * scheduler's ordinary backoff does the waiting and the same engine code runs on this machine as
 * on a batch system. Each alloc has its own {@link org.stowage.repository.FileRepository}, so that
 * staging inputs exercises the same transfer path as a remote alloc. Inputs reach a sandbox as
 * copies of the repository's objects, each the exec's own and digested before the exec starts,
 * not as hard links: read-only bits do not stop a process running as the objects' owner or as
 * root from writing a link in place, and the write would reach every later exec on the alloc
 * (no check of size and modification time afterwards can be sure to catch it). The copy costs a
 * second write and a digest of every input per exec; bench/README.md has the figures.
 *
 * <p>An exec's processes must all be found again to be killed, and a process that outlives its
 * parent is re-parented and escapes {@code ProcessHandle.descendants()}. So each exec is started
 * in a cgroup (v2) of its own where the JVM may create one, which no process leaves by itself; as
 * the leader of a session of its own, which a process leaves only by starting one; and with a
 * marker in its environment, which a process can drop. Each catches what another misses, and each
 * kill takes the union: with a cgroup nothing escapes short of a privileged move; without, a
 * process escapes only by starting a session and dropping the marker (see {@code LocalCluster}
 * for the details). The exec's result completes only after they are all gone and its sandbox is
 * deleted, so a caller who sees the result sees a clean machine. Resource amounts are not
 * enforced on the processes (the cgroups have no controllers): a task that uses more than it
 * asked for slows its neighbours.
 *
 * <p>Everything here is null-marked: a parameter or result may be null only where it says
 * {@code @Nullable}.
 */
@NullMarked
package org.stowage.scheduler.local;

import org.jspecify.annotations.NullMarked;
