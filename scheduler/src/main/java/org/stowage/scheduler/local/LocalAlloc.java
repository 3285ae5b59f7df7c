package org.stowage.scheduler.local;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.process.Cgroup;
import org.stowage.scheduler.internal.process.ProcessTree;
import org.stowage.scheduler.internal.process.SandboxAlloc;

/**
 * An alloc of a {@link LocalCluster}: a slice of this machine, with a directory of its own that
 * holds its repository ({@code repository/}) and the sandboxes of its execs ({@code execs/}). Its
 * id reads {@code local-N}, unique within the cluster; its resources are its slice of the
 * machine. Where the cluster has a cgroup, the alloc has one inside it ({@code local-N}), which
 * holds a cgroup per exec ({@code N}, its number). Freeing it kills every exec still running and
 * whatever is left in its cgroup or carries its marker, removes the cgroup and gives its slice
 * back to the cluster.
 *
 * <p>Concurrency: as a {@link SandboxAlloc}: the alloc's state (dead, freed, the running execs) is
 * guarded by its monitor; {@link #start} holds it while it lays out a sandbox and starts a process,
 * so that {@link #free()} and {@link #die} see every exec that was started. {@link #keepalive()}
 * reads the state without the monitor, so a slow start never delays it. Thread-safe.
 */
final class LocalAlloc extends SandboxAlloc<LocalExec> {

  /** How long the scheduler may wait between keepalives of a healthy local alloc. */
  static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(1);

  private final String marker;
  private final @Nullable Cgroup cgroup;
  private final LocalCluster cluster;
  private final Executor executor;
  private final ScheduledExecutorService timer;

  /**
   * Creates the alloc's bookkeeping; {@code cgroup}, if not null, holds the cgroups of its execs
   * and is removed when the alloc is freed.
   */
  LocalAlloc(String id, Resources resources, Path dir, FileRepository repository, String marker,
      @Nullable Cgroup cgroup, LocalCluster cluster, Executor executor,
      ScheduledExecutorService timer) {
    super(id, "dead", resources, dir, repository, executor);
    this.marker = marker;
    this.cgroup = cgroup;
    this.cluster = cluster;
    this.executor = executor;
    this.timer = timer;
  }

  /**
   * Starts the command as a process marked {@code marker + n}, in a cgroup {@code n} inside the
   * alloc's if it has one; see {@link LocalExec#start}.
   */
  @Override
  protected LocalExec startExec(ExecRequest request, int n, Path sandbox) {
    @Nullable Cgroup execCgroup = cgroup == null ? null : cgroup.child(Integer.toString(n));
    return LocalExec.start(request, id(), sandbox, marker + n, execCgroup, repository(), executor,
        timer);
  }

  /** Returns whether the alloc's execs are held in cgroups. */
  boolean confined() {
    return cgroup != null;
  }

  /**
   * Completes at once with {@link #KEEPALIVE_INTERVAL} while the alloc is alive, or exceptionally
   * with an {@link AllocLostException} once it is dead or freed.
   */
  @Override
  public CompletableFuture<Duration> keepalive() {
    CompletableFuture<Duration> refused = refusal();
    return refused != null ? refused : CompletableFuture.completedFuture(KEEPALIVE_INTERVAL);
  }

  /**
   * Kills the execs (on the calling thread, which returns at once) and, once they ended, whatever
   * any of them left running: what carries the alloc's marker or is in its cgroup. Then removes
   * the cgroup.
   */
  @Override
  protected CompletableFuture<?> stopExecs(List<LocalExec> running) {
    running.forEach(LocalExec::kill);
    return CompletableFuture.allOf(
            running.stream().map(LocalExec::ended).toArray(CompletableFuture[]::new))
        // An exec's own clean-up finds its leftovers; this finds those of execs whose clean-up
        // gave up, before the directory they may still be writing into goes.
        .thenCompose(v -> new ProcessTree(null, marker, null, cgroup)
            .kill(LocalExec.KILL_GRACE, timer))
        .thenAccept(survivors -> {
          if (!survivors.isEmpty()) {
            log.log(Level.WARNING, "alloc " + id() + ": processes " + survivors
                + " did not end after a forced kill");
          }
          if (cgroup != null && !cgroup.remove()) {
            log.log(Level.WARNING, "alloc " + id() + ": could not remove its " + cgroup);
          }
        });
  }

  /** Gives the alloc's slice back to the cluster. */
  @Override
  protected void released() {
    cluster.release(this);
  }

  /**
   * Makes the alloc dead, as if the machine's executor had died: its execs are killed and their
   * results complete with an {@link AllocLostException}, keepalives fail and nothing more starts.
   * Its slice stays taken until it is freed.
   *
   * @return false if the alloc was already dead or freed
   */
  boolean die(String why) {
    List<LocalExec> toLose = markLost(why, true);
    if (toLose == null) {
      return false;
    }
    for (LocalExec x : toLose) {
      x.lose(why);
    }
    return true;
  }

  @Override
  public String toString() {
    return "local alloc " + id() + " " + resources() + state();
  }
}
