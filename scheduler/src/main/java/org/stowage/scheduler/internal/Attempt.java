package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.stowage.repository.Repository;
import org.stowage.scheduler.Exec;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskException.Kind;
import org.stowage.scheduler.TimeSource;

/**
 * One try of a task on an alloc, from placement to release: it stages the task's inputs onto the
 * alloc, starts the exec, waits for it, uploads its outputs, and gives its room back. A timeout, a
 * cancel or the scheduler's close stops it by killing its exec, and it gives up on an exec that
 * ignores the kill once the kill timeout has passed. Not API.
 *
 * <p>Each step is a {@link Phase}. The calls out are {@link Effect}s, made at the end of the
 * engine's batch; their outcomes come back as {@link Event}s, which the engine hands to the methods
 * below. What the end comes to is for {@link RetryPolicy} to say, and what follows (done, tried
 * again, given up) for the engine, through its {@link Host}.
 *
 * <p>Concurrency: owned by the engine's thread, except {@link #start}, which runs on the I/O
 * executor and reads only what does not change.
 */
final class Attempt {

  private static final System.Logger LOG = System.getLogger(Attempt.class.getName());

  /** Where an attempt is. */
  enum Phase {
    /** Its inputs are being copied onto the alloc. */
    STAGING,
    /** Its exec is being started. */
    STARTING,
    /** Its exec runs. */
    RUNNING,
    /** Its exec succeeded; its outputs are being copied to the task's repository. */
    UPLOADING,
    /** It holds nothing any more: its room was given back, or its alloc died. */
    ENDED
  }

  /** What an attempt needs from the engine, beyond its loop. */
  interface Host {
    /** Publishes that the attempt's exec runs. */
    void running(Attempt attempt);

    /** Gives the attempt's room on its alloc back. */
    void release(Attempt attempt);

    /** Decides on the task after its attempt ended: done, tried again, or given up. */
    void settle(Attempt attempt, RetryPolicy.Outcome outcome);

    /** Drops what is remembered of the alloc's repository: it may have lost objects. */
    void forget(LiveAlloc alloc);

    /** Declares the alloc dead: an exec reported it lost. */
    void allocLost(LiveAlloc alloc, String why);

    /** Returns how long a killed exec has to end before it is given up on. */
    Duration killTimeout();
  }

  final TaskRecord task;
  final LiveAlloc alloc;
  /** The attempt's id, as the task's status had it when the attempt began. */
  final String id;
  private final ExecRequest request;
  /** Where the task's inputs come from and its outputs go; null if it has none. */
  private final @Nullable Repository home;
  private final EventLoop loop;
  private final Host host;
  private Phase phase = Phase.STAGING;
  private @Nullable Exec exec;
  /** Why the attempt is being stopped (cancel, timeout, close), once it is. */
  private @Nullable TaskException stop;
  private TimeSource.Cancellable timeoutTimer = () -> { };

  private Attempt(TaskRecord task, LiveAlloc alloc, ExecRequest request,
      @Nullable Repository home, EventLoop loop, Host host) {
    this.task = task;
    this.alloc = alloc;
    this.id = request.id();
    this.request = request;
    this.home = home;
    this.loop = loop;
    this.host = host;
  }

  /**
   * Places {@code task} on {@code alloc}: takes its room there, starts its timeout and has its
   * inputs staged. What can throw comes first, before anything changes.
   *
   * @param home the task's repository (its own or the scheduler's), or null
   * @param loop the engine's loop, for timers and effects
   * @return the attempt, which the task now holds
   */
  static Attempt begin(TaskRecord task, LiveAlloc alloc, @Nullable Repository home,
      EventLoop loop, Host host) {
    ExecRequest request = new ExecRequest(task.current.id(), task.task.name(), task.task.exec(),
        task.task.resources(), task.task.inputs());
    Attempt a = new Attempt(task, alloc, request, home, loop, host);
    Duration timeout = task.task.timeout();
    if (timeout != null) {
      a.timeoutTimer = loop.after(timeout, new Event.TimedOut(a));
    }
    task.attempt = a;
    alloc.running.add(a);
    alloc.idleSince = -1;
    Packer.subtract(alloc.free, task.need);
    loop.later(new Effect.Stage(a));
    return a;
  }

  /** Copies its inputs onto the alloc (an effect), and posts once they are there, or failed. */
  void stage(Transfers transfers) {
    Repository from = home;
    CompletableFuture<?> staged = from == null || request.inputs().files().isEmpty()
        ? CompletableFuture.completedFuture(null)
        : transfers.copy(from, alloc.alloc.repository(), request.inputs(),
            "staging inputs of " + task.task);
    staged.whenComplete((v, e) -> loop.post(e != null
        ? new Event.StagingFailed(this, Failures.unwrap(e)) : new Event.Staged(this)));
  }

  /** Copies its outputs to the task's repository (an effect), and posts when done. */
  void upload(ExecResult result, Repository to, Transfers transfers) {
    transfers.copy(alloc.alloc.repository(), to, result.outputs(),
            "uploading outputs of " + task.task)
        .whenComplete((v, e) -> loop.post(new Event.Uploaded(this, result, Failures.unwrap(e))));
  }

  /**
   * Returns why the attempt is being stopped, or null if it is not.
   *
   * @return the reason, or null
   */
  @Nullable TaskException stopping() {
    return stop;
  }

  /** Its inputs are on the alloc: starts its exec, unless it ended or is being stopped. */
  void staged() {
    if (phase != Phase.STAGING || !alloc.live) {
      return;
    }
    if (stop != null) {
      execEnded(null, null);
      return;
    }
    phase = Phase.STARTING;
    loop.later(new Effect.Start(this));
  }

  /** Staging its inputs failed. */
  void stagingFailed(@Nullable Throwable cause) {
    if (phase != Phase.STAGING) {
      return;
    }
    end(RetryPolicy.afterStaging(task.task, alloc.id, stop, cause));
  }

  /**
   * Calls {@link org.stowage.scheduler.Alloc#start} on the I/O executor, unless the engine has
   * meanwhile given the alloc up: the check and the call hold the alloc's lock, which its free also
   * takes, so no exec is started on an alloc after the engine gave it up. Posts what happened.
   */
  void start() {
    try {
      Exec x;
      synchronized (alloc) {
        if (alloc.gone) {
          return;  // its tasks were already handed elsewhere
        }
        x = Objects.requireNonNull(alloc.alloc.start(request), "exec");
      }
      CompletableFuture<ExecResult> result = Objects.requireNonNull(x.result(), "exec result");
      loop.post(new Event.ExecStarted(this, x));
      result.whenComplete((r, e) -> loop.post(new Event.ExecEnded(this, r, e)));
    } catch (RuntimeException e) {
      loop.post(new Event.ExecEnded(this, null, e));
    }
  }

  /** Its exec started: it runs, unless the attempt ended meanwhile (then the exec is killed). */
  void execStarted(Exec x) {
    if (phase == Phase.ENDED) {
      loop.later(new Effect.Kill(id, x));
      return;
    }
    exec = x;
    phase = Phase.RUNNING;
    if (stop != null) {
      loop.later(new Effect.Kill(id, x));
    }
    host.running(this);
  }

  /** Its exec ended, or failed to start: uploads the outputs first if it succeeded with some. */
  void execEnded(@Nullable ExecResult result, @Nullable Throwable error) {
    if (phase == Phase.ENDED) {
      return;
    }
    Throwable cause = Failures.unwrap(error);
    RetryPolicy.Outcome outcome = RetryPolicy.afterExec(task.task, alloc.id, stop, result, cause);
    Repository to = home;
    if (outcome instanceof RetryPolicy.Outcome.Succeeded s && phase != Phase.UPLOADING
        && to != null && !s.result().outputs().files().isEmpty()) {
      // Hold the room until the outputs are safe: the alloc's repository must outlive the copy.
      phase = Phase.UPLOADING;
      loop.later(new Effect.Upload(this, s.result(), to));
      return;
    }
    if (outcome instanceof RetryPolicy.Outcome.Failed f && f.result() == null) {
      host.forget(alloc);  // it may have dropped objects it held: check afresh next time
    }
    end(outcome);
    if (outcome instanceof RetryPolicy.Outcome.Lost && cause != null) {
      host.allocLost(alloc, "an exec reported it lost: " + cause.getMessage());
    }
  }

  /** Its outputs were copied to the task's repository, or the copy failed. */
  void uploaded(ExecResult result, @Nullable Throwable error) {
    if (phase != Phase.UPLOADING) {
      return;
    }
    end(error == null ? RetryPolicy.afterExec(task.task, alloc.id, stop, result, null)
        : RetryPolicy.afterUpload(task.task, alloc.id, stop, result, error));
  }

  /** It ran past its task's timeout: it is stopped. */
  void timedOut() {
    if (phase == Phase.ENDED || stop != null) {
      return;
    }
    stop(new TaskException(Kind.TIMED_OUT, task.task + " ran longer than its timeout of "
        + task.task.timeout() + " on alloc " + alloc.id + " and was killed"));
  }

  /**
   * Stops the attempt: kills its exec (or, if it has not started yet, has it killed as it starts),
   * and gives up on it if it has not ended within the kill timeout, so that an exec that ignores
   * kill() holds its room, or the scheduler's close, for no longer. A second call replaces the
   * reason and kills again; the kill timeout runs from the first.
   *
   * @param why how the task ends
   */
  void stop(TaskException why) {
    boolean first = stop == null;
    stop = why;
    Exec x = exec;
    if (x != null) {
      loop.later(new Effect.Kill(id, x));
    }
    if (first) {
      loop.after(host.killTimeout(), new Event.KillTimedOut(this));
    }
  }

  /** Its exec did not end within the kill timeout: it is given up on, and its room given back. */
  void killTimedOut(String scheduler) {
    TaskException why = stop;
    if (phase == Phase.ENDED || why == null) {
      return;
    }
    LOG.log(Level.WARNING, "scheduler " + scheduler + ": " + task.task + " did not end within "
        + host.killTimeout() + " of being killed on alloc " + alloc.id
        + "; giving up on it and freeing its room");
    end(new RetryPolicy.Outcome.Ended(why));
  }

  /**
   * Its alloc died: it holds nothing more, and its exec, if any, is killed. The caller decides on
   * the task.
   */
  void abandon() {
    unlink();
    Exec x = exec;
    if (x != null) {
      loop.later(new Effect.Kill(id, x));
    }
  }

  /** Gives its room back, without deciding on the task: it is ended. */
  void release() {
    unlink();
    host.release(this);
  }

  private void end(RetryPolicy.Outcome outcome) {
    release();
    host.settle(this, outcome);
  }

  private void unlink() {
    phase = Phase.ENDED;
    timeoutTimer.cancel();
    if (task.attempt == this) {
      task.attempt = null;
    }
  }

  @Override
  public String toString() {
    return "attempt " + id + " on alloc " + alloc.id;
  }
}
