/**
 * Running execs as OS processes in sandbox directories: the machinery the cluster backends
 * ({@code local}, {@code slurm}) share. Not API: names here may change in any release.
 *
 * <p>Design note. A backend's alloc is a directory and its execs are processes started in
 * sandboxes under it; what differs between backends is only how a process is started (directly,
 * or as a Slurm job step through {@code srun}), how it is stopped, and what says that the alloc
 * is gone. So the life of an exec and the bookkeeping of an alloc are written once here, as two
 * base classes whose few abstract methods a backend fills in, and the rest are small tools they
 * compose. Unlike the engine, this code runs and waits on real processes in real time: it reads
 * the system clock and blocks, and so is left out of the engine's no-clock check (see the
 * scheduler's pom). The engine never uses it, and it uses nothing of the engine (both checked by
 * {@code ApiBoundaryTest}).
 *
 * <ul>
 *   <li>{@code SandboxAlloc}: the bookkeeping of an alloc whose execs run in sandboxes under its
 *       directory (refusing starts once lost or freed, the running execs, freeing once), and
 *       freeing every alloc of a closing cluster.
 *   <li>{@code ProcessExec}: the life of an exec run as one process in a sandbox (start, output
 *       tails, stop, collecting {@code out/}, clean-up).
 *   <li>{@code Sandbox}: an exec's working directory: inputs as checked copies of its own, and the
 *       outputs collected from {@code out/}.
 *   <li>{@code OutputTail}: the bounded tail of a process's standard output or error.
 *   <li>{@code ProcessTree}: finding and killing an exec's processes, orphans included, by
 *       parenthood, environment marker, session and cgroup.
 *   <li>{@code ConfinedCommand}, {@code Cgroup}: starting an exec's program as the leader of its
 *       own session and inside a cgroup of its own, so that {@code ProcessTree} finds it all.
 * </ul>
 *
 * <p>Everything here is null-marked: a parameter or result may be null only where it says
 * {@code @Nullable}.
 */
@NullMarked
package org.stowage.scheduler.internal.process;

import org.jspecify.annotations.NullMarked;
