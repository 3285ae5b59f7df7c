package org.stowage.scheduler.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.TimeSource;

/**
 * An alloc that is up and takes tasks: its capacity, the room left on it and the attempts running
 * there. Not API.
 *
 * <p>Concurrency: owned by the engine's thread, except {@link #gone}, which the I/O thread about to
 * start an exec on the alloc reads under the alloc's lock (see {@code Engine}).
 */
final class LiveAlloc implements Placement.Room {
  final Alloc alloc;
  final String id;
  final double[] capacity;
  final double[] free;
  final long upSince;
  final long seq;
  final Set<Attempt> running = new LinkedHashSet<>();
  /** True while the alloc is in the pool's live list: up, and not yet dead or freed. */
  boolean live;
  /**
   * Set, by the engine thread, once the alloc is out of the live list; read under the alloc's lock
   * by the I/O thread about to start an exec on it.
   */
  volatile boolean gone;
  long idleSince;
  /** The tasks its request was for, which it takes first in the pass after it came up. */
  List<TaskRecord> promised = List.of();
  /** Set while the stats have yet to see a change of the alloc's tasks, room or state. */
  boolean statsDirty;
  long keepaliveSeq;
  TimeSource.Cancellable keepaliveTimer = () -> { };

  LiveAlloc(Alloc alloc, String id, double[] capacity, long upSince, long seq) {
    this.alloc = alloc;
    this.seq = seq;
    this.id = id;
    this.capacity = capacity;
    this.free = capacity.clone();
    this.upSince = upSince;
  }

  @Override
  public double[] free() {
    return free;
  }

  @Override
  public double[] capacity() {
    return capacity;
  }

  @Override
  public List<TaskRecord> promised() {
    return promised;
  }

  @Override
  public long seq() {
    return seq;
  }

  @Override
  public String toString() {
    return "alloc " + id;
  }
}
