package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.repository.Repository;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.InMemoryRepository;

/** No call reaches an alloc the scheduler has given up on. */
@Timeout(60)
class DeadAllocTest {

  /**
   * An alloc dies while a task's inputs are being staged onto it: when the staging ends, the
   * scheduler must not start the task there (it was already handed elsewhere, and the alloc
   * freed), but run it on another alloc.
   */
  @Test
  void aTaskWhoseAllocDiedWhileStagingIsNotStartedThere() throws Exception {
    InMemoryRepository store = new InMemoryRepository("inputs");
    Digest d = store.putBytes("data".getBytes(StandardCharsets.UTF_8));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch reading = new CountDownLatch(1);
    Repository slow = new GatedRepository(store, reading, release);
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(4, 4))
        .keepaliveInterval(Duration.ofMillis(10)).build();
    try (Scheduler scheduler = Fixtures.scheduler(cluster).repository(slow).build()) {
      Task t = Task.newBuilder().command("true").resources(cpuMem(1, 1))
          .input("in", Fileset.of(Map.of("data", new FileRef(d, 4)))).build();
      scheduler.submit(t);
      FakeAlloc first = cluster.takeRequest(WAIT).grant();
      assertTrue(reading.await(WAIT.toSeconds(), TimeUnit.SECONDS), "staging did not start");
      first.fail("machine gone");
      await().atMost(WAIT).until(first::isFreed);  // declared dead, its task lost and queued
      FakeAlloc second = cluster.takeRequest(WAIT).grant();
      release.countDown();                           // the first staging now ends
      second.takeExec(WAIT).succeed();
      assertTrue(Fixtures.done(t).succeeded(), t::toString);
      assertEquals(0, first.execs().size(), "an exec was started on the dead alloc");
    }
    cluster.checkNoLeaks();
  }

  /** Delegates to a repository; the first read waits until released. */
  private static final class GatedRepository implements Repository {
    private final Repository delegate;
    private final CountDownLatch reading;
    private final CountDownLatch release;

    GatedRepository(Repository delegate, CountDownLatch reading, CountDownLatch release) {
      this.delegate = delegate;
      this.reading = reading;
      this.release = release;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public long stat(Digest digest) {
      return delegate.stat(digest);
    }

    @Override
    public InputStream get(Digest digest) {
      reading.countDown();
      try {
        if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return delegate.get(digest);
    }

    @Override
    public Digest put(InputStream in) {
      return delegate.put(in);
    }

    @Override
    public Set<Digest> missing(Collection<Digest> digests) {
      return delegate.missing(digests);
    }
  }
}
