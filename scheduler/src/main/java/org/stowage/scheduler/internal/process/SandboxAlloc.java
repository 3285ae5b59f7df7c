package org.stowage.scheduler.internal.process;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.FileRepository;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.Resources;

/**
 * An alloc whose execs are {@link ProcessExec}s in sandboxes under its own directory: what the
 * cluster backends (local, Slurm) share. Not API.
 *
 * <p>The alloc's directory holds its repository ({@code repository/}) and the sandboxes of its
 * execs ({@code execs/N-ID}, numbered from 1). This class keeps the bookkeeping: it refuses to
 * start an exec once the alloc is lost (or, in the local backend's words, dead) or freed, tracks
 * the execs that run and forgets each when it {@linkplain ProcessExec#ended() ends}, frees once,
 * and deletes the directory when freed. A backend supplies how an exec starts
 * ({@link #startExec}), how freeing stops the running execs ({@link #stopExecs}), what giving the
 * alloc back to its cluster means ({@link #released()}) and its keepalive.
 *
 * <p>Concurrency: the alloc's state (lost, freed, the running execs) is guarded by its monitor,
 * which subclasses share; {@link #start} holds it while it lays out a sandbox and starts a process,
 * so that {@link #free()} (and a backend's own stops) see every exec that was started. The lost
 * and freed marks are also volatile, so that {@link #refusal()} (and so a keepalive) reads them
 * without the monitor and a slow start never delays it. Thread-safe.
 *
 * @param <X> the backend's exec
 */
public abstract class SandboxAlloc<X extends ProcessExec> implements Alloc {

  /** The subclass's logger, so that messages carry the backend's class name. */
  protected final System.Logger log = System.getLogger(getClass().getName());

  private final String id;
  private final String lostWord;
  private final Resources resources;
  private final Path dir;
  private final FileRepository repository;
  private final Executor executor;

  private final Set<X> running = new LinkedHashSet<>();
  private int execs;
  // Written under the monitor; volatile so that refusal() answers without waiting for a start.
  private volatile @Nullable String lostBecause;
  private volatile @Nullable CompletableFuture<Void> freed;

  /**
   * Creates the alloc's bookkeeping.
   *
   * @param id the alloc's id
   * @param lostWord how the backend says that the alloc is lost in messages, such as {@code lost}
   *     or {@code dead}
   * @param resources the alloc's capacity
   * @param dir the alloc's directory
   * @param repository the alloc's repository, in {@code dir}
   * @param executor runs the deletion of the directory when the alloc is freed
   */
  protected SandboxAlloc(String id, String lostWord, Resources resources, Path dir,
      FileRepository repository, Executor executor) {
    this.id = id;
    this.lostWord = lostWord;
    this.resources = resources;
    this.dir = dir;
    this.repository = repository;
    this.executor = executor;
  }

  /** Returns the alloc's id, unique within its cluster. */
  @Override
  public final String id() {
    return id;
  }

  /** Returns what the alloc holds. */
  @Override
  public final Resources resources() {
    return resources;
  }

  /** Returns the alloc's own repository, in its directory; deleted when the alloc is freed. */
  @Override
  public final FileRepository repository() {
    return repository;
  }

  /**
   * Runs {@code request.config().command()} as a process in a new sandbox directory holding the
   * request's inputs; see the backend's cluster for the sandbox's layout.
   *
   * @throws AllocLostException if the alloc is lost or freed
   * @throws IllegalArgumentException if an input lies inside {@code out/}
   * @throws IllegalStateException if an input's object is not in the alloc's repository
   * @throws org.stowage.repository.RepositoryException {@code CORRUPT} if an input's object in the
   *     alloc's repository does not match its digest (it is dropped from there, so that staging
   *     it again restores it), {@code UNAVAILABLE} if it cannot be copied into the sandbox
   * @throws java.io.UncheckedIOException if the sandbox cannot be laid out or the process cannot
   *     be started (for example, the command does not exist)
   */
  @Override
  public final synchronized Exec start(ExecRequest request) {
    if (lostBecause != null || freed != null) {
      throw new AllocLostException("alloc " + id + " is "
          + (lostBecause != null ? lostWord + " (" + lostBecause + ")" : "freed"));
    }
    int n = ++execs;
    Path sandbox = dir.resolve("execs").resolve(n + "-" + safe(request.id()));
    X exec = startExec(request, n, sandbox);
    running.add(exec);
    exec.ended().whenComplete((v, e) -> ended(exec));
    return exec;
  }

  /**
   * Starts the {@code n}th exec of the alloc in {@code sandbox}, which does not exist yet; called
   * under the monitor.
   *
   * @param request what to run
   * @param n the exec's number in the alloc
   * @param sandbox the working directory to create
   * @return the started exec
   */
  protected abstract X startExec(ExecRequest request, int n, Path sandbox);

  /**
   * Returns a failed future for a keepalive if the alloc is lost or freed, else null. Reads the
   * state without the monitor.
   *
   * @return the failed future, or null
   */
  protected final @Nullable CompletableFuture<Duration> refusal() {
    String why = lostBecause;
    if (why != null) {
      return CompletableFuture.failedFuture(
          new AllocLostException("alloc " + id + " is " + lostWord + ": " + why));
    }
    if (freed != null) {
      return CompletableFuture.failedFuture(new AllocLostException("alloc " + id + " was freed"));
    }
    return null;
  }

  /**
   * Stops every exec still running (see the backend's {@link #stopExecs}), deletes the alloc's
   * directory and gives the alloc back to its cluster. Idempotent: every call returns the same
   * future, which completes when all of that is done.
   */
  @Override
  public final CompletableFuture<Void> free() {
    List<X> toStop;
    CompletableFuture<Void> done;
    synchronized (this) {
      CompletableFuture<Void> already = freed;
      if (already != null) {
        return already;
      }
      done = new CompletableFuture<>();
      freed = done;
      toStop = new ArrayList<>(running);
    }
    stopExecs(toStop)
        .whenCompleteAsync((v, e) -> {
          try {
            Sandbox.delete(dir);
          } catch (IOException | RuntimeException x) {
            log.log(Level.WARNING, "alloc " + id + ": could not delete its directory " + dir, x);
          } finally {
            released();
            done.complete(null);
          }
        }, executor);
    return done;
  }

  /**
   * Stops the execs that ran when {@link #free()} was first called; the directory is deleted when
   * the returned future completes (normally or not). Called once, without the monitor.
   *
   * @param running the execs to stop
   * @return a future completing once they are stopped
   */
  protected abstract CompletableFuture<?> stopExecs(List<X> running);

  /** Gives the alloc back to its cluster, once freed; called once, without the monitor. */
  protected abstract void released();

  /**
   * Marks the alloc lost, under the monitor, unless it is lost already or, if {@code unlessFreed},
   * freed. Returns the execs running then, or null if it did not mark it.
   *
   * @param why the reason, in words
   * @param unlessFreed whether to leave a freed alloc alone
   * @return the execs running then, or null
   */
  protected final synchronized @Nullable List<X> markLost(String why, boolean unlessFreed) {
    if (lostBecause != null || (unlessFreed && freed != null)) {
      return null;
    }
    lostBecause = why;
    return new ArrayList<>(running);
  }

  /**
   * Returns true while the alloc is neither lost nor freed.
   *
   * @return whether the alloc is live
   */
  public final synchronized boolean isLive() {
    return lostBecause == null && freed == null;
  }

  /**
   * Returns the execs running now.
   *
   * @return the running execs
   */
  protected final synchronized List<X> running() {
    return List.copyOf(running);
  }

  /**
   * Returns the alloc's directory.
   *
   * @return the directory
   */
  public final Path dir() {
    return dir;
  }

  private synchronized void ended(X exec) {
    running.remove(exec);
  }

  /**
   * Frees {@code allocs} and waits up to {@code timeout} for all of it, for a cluster's
   * {@code close()}. If the thread is interrupted meanwhile, returns at once with its interrupt
   * flag set.
   *
   * @param owner the cluster, in words, for the message
   * @param allocs the allocs to free
   * @param timeout how long to wait
   * @throws IllegalStateException if freeing an alloc failed or did not finish in time
   */
  public static void freeAll(String owner, List<? extends Alloc> allocs, Duration timeout) {
    try {
      CompletableFuture.allOf(allocs.stream().map(Alloc::free)
          .toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(owner + ": freeing its allocs " + allocs
          + " did not finish within " + timeout, e);
    }
  }

  /** Keeps letters, digits, dots, dashes and underscores, so an id is a safe file name. */
  private static String safe(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
  }

  /**
   * Returns the state for {@link #toString()}: lost, freed, and how many execs run.
   *
   * @return the state, in words
   */
  protected final synchronized String state() {
    return (lostBecause != null ? " (" + lostWord + ": " + lostBecause + ")" : "")
        + (freed != null ? " (freed)" : "") + ", " + running.size() + " running";
  }
}
