package org.stowage.scheduler.local;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.internal.process.Cgroup;
import org.stowage.scheduler.internal.process.ConfinedCommand;
import org.stowage.scheduler.internal.process.ProcessExec;
import org.stowage.scheduler.internal.process.ProcessTree;

/**
 * One exec on a {@link LocalAlloc}: an OS process run in its own sandbox directory.
 *
 * <p>Life: as a {@link ProcessExec}. {@link #start} lays out the sandbox and starts the process
 * with a marker in its environment, as the leader of a session of its own and, where the cluster
 * has cgroups, in a cgroup of its own (see {@link ConfinedCommand}); two threads of the cluster
 * keep the tails of its standard output and error. When the process ends (by itself or killed),
 * a thread of the cluster kills whatever it left running (see {@link ProcessTree}), removes its
 * cgroup, collects {@code out/} into the alloc's repository unless the exec was stopped, deletes
 * the sandbox and only then completes {@link #result()}: whoever sees the result can rely on the
 * processes being gone and the sandbox removed.
 *
 * <p>Thread-safety: thread-safe. {@link #kill()} and {@link #lose} may race with the end of the
 * process and with each other; the first stop wins, and the result completes once.
 */
final class LocalExec extends ProcessExec {

  /** How long a process may take to end after a polite signal, before it is killed forcibly. */
  static final Duration KILL_GRACE = Duration.ofSeconds(1);

  private final String marker;
  private final @Nullable Cgroup cgroup;

  private LocalExec(ExecRequest request, String allocId, Path sandbox, String marker,
      @Nullable Cgroup cgroup, FileRepository repository, Executor executor,
      ScheduledExecutorService timer, Process process) {
    super("local", request, allocId, sandbox, repository, executor, timer, process);
    this.marker = marker;
    this.cgroup = cgroup;
  }

  /**
   * Lays out {@code sandbox} and starts the command in it.
   *
   * @param marker the value of {@value ProcessTree#MARKER} in the process's environment, unique
   *     to this exec
   * @param cgroup the exec's own cgroup, empty, or null to go without; removed if the exec
   *     cannot start
   * @throws RuntimeException if the sandbox cannot be laid out or the command cannot be started;
   *     the sandbox is then removed
   */
  static LocalExec start(ExecRequest request, String allocId, Path sandbox, String marker,
      @Nullable Cgroup cgroup, FileRepository repository, Executor executor,
      ScheduledExecutorService timer) {
    Process process;
    try {
      process = launch(request, allocId, sandbox, repository,
          String.valueOf(request.config().command()),
          () -> new ProcessBuilder(ConfinedCommand.of(request.config().command(), sandbox,
              request.config().environment(), cgroup)),
          Map.of(ProcessTree.MARKER, marker));
    } catch (RuntimeException e) {
      if (cgroup != null) {
        cgroup.remove();
      }
      throw e;
    }
    LocalExec exec = new LocalExec(request, allocId, sandbox, marker, cgroup, repository, executor,
        timer, process);
    exec.watch();
    return exec;
  }

  /** Returns whether the exec's processes are held in a cgroup of their own. */
  boolean confined() {
    return cgroup != null;
  }

  /**
   * Kills the exec as {@link #kill()} does, but its result completes exceptionally with an
   * {@link AllocLostException} saying {@code why}: its alloc is dead.
   */
  void lose(String why) {
    if (stop(true, why)) {
      terminate();
    }
  }

  /**
   * Kills the process and everything it started: a polite signal, then a forced kill after
   * {@link #KILL_GRACE}. The result then completes with the exit code the killed process reports
   * (128 plus the signal's number for a shell) and the output tails, but no outputs.
   */
  @Override
  protected void terminate() {
    executor().execute(() -> tree(process().toHandle()).kill(KILL_GRACE, timer())
        .thenAccept(this::warnSurvivors));
  }

  /** Kills what the process left running, removes its cgroup, then waits for the output tails. */
  @Override
  protected CompletableFuture<?> settle() {
    try {
      // What the process left running would keep writing into the sandbox and hold the pipes.
      return tree(null).kill(KILL_GRACE, timer())
          .thenCompose(survivors -> {
            warnSurvivors(survivors);
            if (cgroup != null && survivors.isEmpty() && !cgroup.remove()) {
              log.log(Level.DEBUG, () -> "exec " + id() + ": its " + cgroup + " is left for the"
                  + " alloc to remove");
            }
            return tailsDrained();
          });
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "exec " + id() + " on alloc " + allocId()
          + ": looking for processes it left running failed", e);
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Returns the exec's processes: those of {@code root}'s tree, those carrying the exec's marker,
   * those of the session its process leads and those in its cgroup.
   */
  private ProcessTree tree(@Nullable ProcessHandle root) {
    return new ProcessTree(root, marker + "\0",
        ConfinedCommand.startsSessions() ? process().toHandle() : null, cgroup);
  }

  /** An exec lost with its dead alloc fails with an {@link AllocLostException}. */
  @Override
  protected @Nullable AllocLostException lostWhenStopped(Stop why) {
    return why.lost()
        ? new AllocLostException("alloc " + allocId() + " is dead (" + why.why() + "); exec "
            + id() + " was killed with it")
        : null;
  }

  private void warnSurvivors(List<ProcessHandle> survivors) {
    if (!survivors.isEmpty()) {
      log.log(Level.WARNING, "exec " + id() + " on alloc " + allocId() + ": processes "
          + survivors + " did not end after a forced kill");
    }
  }
}
