package org.stowage.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRepository;
import org.stowage.repository.RepositoryException;
import org.stowage.repository.TransferReport;
import org.stowage.repository.Transferer;

class InMemoryRepositoryTest {
  private final InMemoryRepository repository = new InMemoryRepository("test");

  private static byte[] bytes(int seed, int size) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void roundTripsObjectsOfAnySize() throws Exception {
    for (int size : new int[] {0, 1, 1 << 20}) {
      byte[] bytes = bytes(size, size);
      Digest digest = repository.putBytes(bytes);
      assertEquals(Digest.of(bytes), digest);
      assertEquals(size, repository.stat(digest));
      try (InputStream in = repository.get(digest)) {
        assertArrayEquals(bytes, in.readAllBytes());
      }
    }
    assertEquals(3, repository.puts());
    assertEquals(3, repository.gets());
    assertEquals(1 + (1 << 20), repository.bytesRead());
    assertEquals(1 + (1 << 20), repository.bytesWritten());
    repository.checkNoOpenStreams();
  }

  @Test
  void namesAreDistinctUnlessGiven() {
    assertEquals("memory:test", repository.name());
    assertNotEquals(new InMemoryRepository().name(), new InMemoryRepository().name());
  }

  @Test
  void missingListsAbsentObjectsInOrder() {
    Digest present = repository.putBytes(bytes(1, 10));
    Digest absent = Digest.of(bytes(2, 10));
    assertEquals(List.of(absent), List.copyOf(repository.missing(List.of(present, absent))));
    assertEquals(1, repository.missingCalls());
  }

  @Test
  @Timeout(30)
  void concurrentPutsOfOneObjectStoreIt() throws Exception {
    byte[] bytes = bytes(3, 1 << 20);
    CyclicBarrier start = new CyclicBarrier(16);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Digest>> puts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        puts.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          return repository.putBytes(bytes);
        }));
      }
      Set<Digest> digests = new HashSet<>();
      for (Future<Digest> put : puts) {
        digests.add(put.get(10, TimeUnit.SECONDS));
      }
      assertEquals(Set.of(Digest.of(bytes)), digests);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(Set.of(Digest.of(bytes)), repository.digests());
  }

  @Test
  void aCorruptedObjectFailsTheReadThatReachesItsEnd() throws Exception {
    for (byte[] bytes : List.of(bytes(4, 1000), new byte[0])) {
      Digest digest = repository.putBytes(bytes);
      repository.corrupt(digest);
      assertEquals(Math.max(1, bytes.length), repository.stat(digest));
      try (InputStream in = repository.get(digest)) {
        RepositoryException e = assertThrows(RepositoryException.class, in::readAllBytes);
        assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
        assertEquals(digest, e.digest().orElseThrow());
        assertTrue(e.getMessage().startsWith(
            "object " + digest + " in repository memory:test is corrupt: "), e.getMessage());
      }
      // Putting the right bytes again repairs it.
      repository.putBytes(bytes);
      try (InputStream in = repository.get(digest)) {
        assertArrayEquals(bytes, in.readAllBytes());
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> repository.corrupt(Digest.of(new byte[] {9})));
    assertTrue(e.getMessage().startsWith("cannot corrupt sha256:"), e.getMessage());
  }

  @Test
  void aDeletedObjectIsNotFoundNamingIt() {
    Digest digest = repository.putBytes(bytes(5, 10));
    assertTrue(repository.delete(digest));
    assertFalse(repository.delete(digest));
    RepositoryException e = assertThrows(RepositoryException.class, () -> repository.get(digest));
    assertEquals(RepositoryException.Kind.NOT_FOUND, e.kind());
    assertEquals("object " + digest + " not found in repository memory:test", e.getMessage());
    assertEquals(RepositoryException.Kind.NOT_FOUND,
        assertThrows(RepositoryException.class, () -> repository.stat(digest)).kind());
  }

  @Test
  void failNextFailsTheNextCallsOnly() {
    Digest digest = repository.putBytes(bytes(6, 10));
    RepositoryException first = RepositoryException.unavailable(repository.name(), digest,
        "first", null);
    RepositoryException second = RepositoryException.unavailable(repository.name(), null,
        "second", null);
    repository.failNext(first);
    repository.failNext(second);
    assertSame(first, assertThrows(RepositoryException.class, () -> repository.stat(digest)));
    assertSame(second, assertThrows(RepositoryException.class,
        () -> repository.missing(List.of(digest))));
    assertEquals(10, repository.stat(digest));
  }

  @Test
  void whileUnavailableEveryCallFails() {
    Digest digest = repository.putBytes(bytes(7, 10));
    repository.unavailable(true);
    List<Runnable> calls = List.of(
        () -> repository.stat(digest),
        () -> repository.get(digest),
        () -> repository.putBytes(new byte[1]),
        () -> repository.missing(List.of(digest)));
    for (Runnable call : calls) {
      RepositoryException e = assertThrows(RepositoryException.class, call::run);
      assertEquals(RepositoryException.Kind.UNAVAILABLE, e.kind());
      assertEquals("repository memory:test is unavailable: switched off by the test",
          e.getMessage());
    }
    assertEquals(1, repository.digests().size());
    repository.unavailable(false);
    assertEquals(10, repository.stat(digest));
  }

  @Test
  void aLeakedStreamIsReportedWithWhereItWasOpened() throws IOException {
    Digest digest = repository.putBytes(bytes(8, 10));
    InputStream leaked = repository.get(digest);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, repository::checkNoOpenStreams);
    assertEquals("expected 0 open streams in memory:test, but found 1, for example the stream of "
        + digest + " opened here", e.getMessage());
    assertTrue(e.getCause().getStackTrace()[0].getClassName().startsWith(
        InMemoryRepository.class.getName()), e.getCause().getStackTrace()[0].toString());
    assertEquals(1, repository.openStreams());
    leaked.close();
    leaked.close();
    assertEquals(0, repository.openStreams());
    assertEquals(1, repository.maxOpenStreams());
    repository.checkNoOpenStreams();
  }

  @Test
  void aFailingInputStoresNothing() {
    InputStream failing = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("network gone");
      }
    };
    RepositoryException e =
        assertThrows(RepositoryException.class, () -> repository.put(failing));
    assertEquals(RepositoryException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("network gone"), e.getMessage());
    assertTrue(repository.digests().isEmpty());
    assertEquals(0, repository.bytesWritten());
  }

  @Test
  @Timeout(30)
  void stagesToAndFromAFileRepository(@TempDir Path dir) throws Exception {
    FileRepository files = FileRepository.open(dir);
    Digest digest = repository.putBytes(bytes(9, 100_000));
    Transferer transferer = Transferer.newBuilder().build();

    assertEquals(new TransferReport(1, 100_000, 0),
        transferer.transfer(repository, files, List.of(digest)).get(10, TimeUnit.SECONDS));
    InMemoryRepository other = new InMemoryRepository("other");
    assertEquals(new TransferReport(1, 100_000, 0),
        transferer.transfer(files, other, List.of(digest)).get(10, TimeUnit.SECONDS));

    assertTrue(other.contains(digest));
    assertEquals(100_000, repository.bytesRead());
    assertEquals(100_000, other.bytesWritten());
    repository.checkNoOpenStreams();
  }

  @Test
  @Timeout(30)
  void aCorruptedSourceIsNotCopied() throws Exception {
    Digest digest = repository.putBytes(bytes(10, 1000));
    repository.corrupt(digest);
    InMemoryRepository destination = new InMemoryRepository("destination");
    Transferer transferer = Transferer.newBuilder().build();

    var transfer = transferer.transfer(repository, destination, List.of(digest));

    Throwable failure = transfer.handle((report, t) -> t).get(10, TimeUnit.SECONDS);
    assertEquals(RepositoryException.Kind.CORRUPT, ((RepositoryException) failure).kind());
    assertTrue(destination.digests().isEmpty());
    repository.checkNoOpenStreams();
  }
}
