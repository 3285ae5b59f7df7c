package org.stowage.scheduler.local;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.Sandbox;

/**
 * An alloc of a {@link LocalCluster}: a slice of this machine, with a directory of its own that
 * holds its repository ({@code repository/}) and the sandboxes of its execs ({@code execs/}).
 *
 * <p>Concurrency: the alloc's state (dead, freed, the running execs) is guarded by its monitor;
 * {@link #start} holds it while it lays out a sandbox and starts a process, so that {@link #free()}
 * and {@link #die} see every exec that was started. {@link #keepalive()} reads the state without
 * the monitor, so a slow start never delays it. Thread-safe.
 */
final class LocalAlloc implements Alloc {

  private static final System.Logger LOG = System.getLogger(LocalAlloc.class.getName());

  /** How long the scheduler may wait between keepalives of a healthy local alloc. */
  static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(1);

  private final String id;
  private final Resources resources;
  private final Path dir;
  private final FileRepository repository;
  private final String marker;
  private final LocalCluster cluster;
  private final Executor executor;
  private final ScheduledExecutorService timer;

  private final Set<LocalExec> running = new LinkedHashSet<>();
  private int execs;
  // Written under the monitor; volatile so that keepalive() answers without waiting for a start.
  private volatile @Nullable String deadBecause;
  private volatile @Nullable CompletableFuture<Void> freed;

  LocalAlloc(String id, Resources resources, Path dir, FileRepository repository, String marker,
      LocalCluster cluster, Executor executor, ScheduledExecutorService timer) {
    this.id = id;
    this.resources = resources;
    this.dir = dir;
    this.repository = repository;
    this.marker = marker;
    this.cluster = cluster;
    this.executor = executor;
    this.timer = timer;
  }

  /** Returns an id such as {@code local-3}, unique within the cluster. */
  @Override
  public String id() {
    return id;
  }

  /** Returns the slice of the machine this alloc holds. */
  @Override
  public Resources resources() {
    return resources;
  }

  /** Returns the alloc's own repository, in its directory; deleted when the alloc is freed. */
  @Override
  public FileRepository repository() {
    return repository;
  }

  /**
   * Runs {@code request.config().command()} as a process in a new sandbox directory holding the
   * request's inputs; see {@link LocalCluster} for the sandbox's layout.
   *
   * @throws AllocLostException if the alloc is dead or freed
   * @throws IllegalArgumentException if an input lies inside {@code out/}
   * @throws IllegalStateException if an input's object is not in the alloc's repository
   * @throws java.io.UncheckedIOException if the sandbox cannot be laid out or the command cannot
   *     be started (for example, it does not exist)
   */
  @Override
  public synchronized Exec start(ExecRequest request) {
    if (deadBecause != null || freed != null) {
      throw new AllocLostException("alloc " + id + " is "
          + (deadBecause != null ? "dead (" + deadBecause + ")" : "freed"));
    }
    int n = ++execs;
    Path sandbox = dir.resolve("execs").resolve(n + "-" + safe(request.id()));
    LocalExec exec = LocalExec.start(request, id, sandbox, marker + n, repository, executor, timer);
    running.add(exec);
    exec.ended().whenComplete((v, e) -> ended(exec));
    return exec;
  }

  /**
   * Completes at once with {@link #KEEPALIVE_INTERVAL} while the alloc is alive, or exceptionally
   * with an {@link AllocLostException} once it is dead or freed.
   */
  @Override
  public CompletableFuture<Duration> keepalive() {
    String why = deadBecause;
    if (why != null) {
      return CompletableFuture.failedFuture(
          new AllocLostException("alloc " + id + " is dead: " + why));
    }
    if (freed != null) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id + " was freed"));
    }
    return CompletableFuture.completedFuture(KEEPALIVE_INTERVAL);
  }

  /**
   * Kills every exec still running, deletes the alloc's directory and gives its slice back to the
   * cluster. Idempotent: every call returns the same future, which completes when all of that is
   * done.
   */
  @Override
  public CompletableFuture<Void> free() {
    List<LocalExec> toKill;
    CompletableFuture<Void> done;
    synchronized (this) {
      CompletableFuture<Void> already = freed;
      if (already != null) {
        return already;
      }
      done = new CompletableFuture<>();
      freed = done;
      toKill = new ArrayList<>(running);
    }
    toKill.forEach(LocalExec::kill);
    CompletableFuture.allOf(toKill.stream().map(LocalExec::ended).toArray(CompletableFuture[]::new))
        // An exec's own clean-up finds its leftovers; this finds those of execs whose clean-up
        // gave up, before the directory they may still be writing into goes.
        .thenCompose(v -> ProcessTree.kill(ProcessTree.find(null, marker), LocalExec.KILL_GRACE,
            timer))
        .whenCompleteAsync((survivors, e) -> {
          try {
            Sandbox.delete(dir);
          } catch (IOException | RuntimeException x) {
            LOG.log(Level.WARNING, "alloc " + id + ": could not delete its directory " + dir, x);
          } finally {
            cluster.release(this);
            done.complete(null);
          }
        }, executor);
    return done;
  }

  /**
   * Makes the alloc dead, as if the machine's executor had died: its execs are killed and their
   * results complete with an {@link AllocLostException}, keepalives fail and nothing more starts.
   * Its slice stays taken until it is freed.
   *
   * @return false if the alloc was already dead or freed
   */
  boolean die(String why) {
    List<LocalExec> toLose;
    synchronized (this) {
      if (deadBecause != null || freed != null) {
        return false;
      }
      deadBecause = why;
      toLose = new ArrayList<>(running);
    }
    for (LocalExec x : toLose) {
      x.lose(why);
    }
    return true;
  }

  /** Returns true while the alloc is neither dead nor freed. */
  synchronized boolean isLive() {
    return deadBecause == null && freed == null;
  }

  /** Returns the alloc's directory. */
  Path dir() {
    return dir;
  }

  private synchronized void ended(LocalExec exec) {
    running.remove(exec);
  }

  /** Keeps letters, digits, dots, dashes and underscores, so an id is a safe file name. */
  private static String safe(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
  }

  @Override
  public synchronized String toString() {
    return "local alloc " + id + " " + resources
        + (deadBecause != null ? " (dead: " + deadBecause + ")" : "")
        + (freed != null ? " (freed)" : "") + ", " + running.size() + " running";
  }
}
