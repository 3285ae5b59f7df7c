package org.stowage.scheduler.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the threads the scheduler and the clusters own. Their threads are daemons,
 * so that an application that forgets to close one still exits. Not API.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /**
   * Returns a factory of daemon threads named {@code <prefix><n>}, n counting from 1.
   *
   * @param prefix the start of every thread's name
   * @return the factory
   */
  public static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
