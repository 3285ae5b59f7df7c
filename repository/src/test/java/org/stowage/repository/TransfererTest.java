package org.stowage.repository;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TransfererTest {
  @TempDir Path dir;
  private ExecutorService pool;
  private FileRepository srcFiles;
  private FileRepository dstFiles;
  private CountingRepository src;
  private CountingRepository dst;

  @BeforeEach
  void setUp() throws IOException {
    pool = Executors.newCachedThreadPool();
    srcFiles = FileRepository.open(dir.resolve("src"));
    dstFiles = FileRepository.open(dir.resolve("dst"));
    src = new CountingRepository(srcFiles);
    dst = new CountingRepository(dstFiles);
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  private Transferer.Builder builder() {
    return Transferer.newBuilder().executor(pool);
  }

  private static TransferReport join(CompletableFuture<TransferReport> transfer)
      throws Exception {
    return transfer.get(30, TimeUnit.SECONDS);
  }

  private List<Digest> putObjects(Repository repository, int count, int size) {
    List<Digest> digests = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      digests.add(repository.put(new GeneratedStream(i, size)));
    }
    return digests;
  }

  @Test
  void copiesOnlyWhatIsMissing() throws Exception {
    List<Digest> digests = putObjects(srcFiles, 5, 1000);
    dstFiles.put(new GeneratedStream(0, 1000));
    dstFiles.put(new GeneratedStream(3, 1000));
    Transferer transferer = builder().build();

    TransferReport report = join(transferer.transfer(src, dst, digests));

    assertEquals(new TransferReport(3, 3000, 2), report);
    assertEquals(3, src.gets.get());
    assertEquals(0, src.gets(digests.get(0)));
    assertEquals(Set.of(), dstFiles.missing(digests));
    assertEquals(3, transferer.objectsCopied());
    assertEquals(3000, transferer.bytesCopied());
  }

  @Test
  void stagingKnownObjectsAgainCostsNoCall() throws Exception {
    List<Digest> digests = putObjects(srcFiles, 5, 1000);
    Transferer transferer = builder().build();
    join(transferer.transfer(src, dst, digests));
    int gets = src.gets.get();
    int missingCalls = dst.missingCalls.get();

    List<Digest> twice = new ArrayList<>(digests);
    twice.addAll(digests);
    TransferReport again = join(transferer.transfer(src, dst, twice));

    assertEquals(new TransferReport(0, 0, 5), again);
    assertEquals(gets, src.gets.get());
    assertEquals(missingCalls, dst.missingCalls.get());
  }

  @Test
  void withoutACacheEveryTransferAsksTheDestination() throws Exception {
    List<Digest> digests = putObjects(srcFiles, 2, 1000);
    Transferer transferer = builder().cacheSize(0).build();
    join(transferer.transfer(src, dst, digests));
    assertEquals(new TransferReport(0, 0, 2), join(transferer.transfer(src, dst, digests)));
    assertEquals(2, dst.missingCalls.get());
    assertEquals(2, src.gets.get());
  }

  @Test
  void nothingToDoCompletesAtOnce() throws Exception {
    Transferer transferer = builder().build();
    CompletableFuture<TransferReport> transfer = transferer.transfer(src, dst, List.of());
    assertTrue(transfer.isDone());
    assertEquals(new TransferReport(0, 0, 0), transfer.join());
  }

  @Test
  @Timeout(120)
  void hundredConcurrentTransfersOfASharedObjectMoveItsBytesOnce() throws Exception {
    int size = 10 << 20;
    Digest shared = srcFiles.put(new GeneratedStream(11, size));
    Transferer transferer = builder().maxConcurrency(4).build();
    int callers = 100;
    CyclicBarrier start = new CyclicBarrier(10);
    ExecutorService callerPool = Executors.newFixedThreadPool(10);
    List<Future<CompletableFuture<TransferReport>>> calls = new ArrayList<>();
    try {
      for (int i = 0; i < callers; i++) {
        boolean gate = i < 10;
        calls.add(callerPool.submit(() -> {
          if (gate) {
            start.await(30, TimeUnit.SECONDS);
          }
          return transferer.transfer(src, dst, List.of(shared));
        }));
      }
      long objects = 0;
      long bytes = 0;
      for (Future<CompletableFuture<TransferReport>> call : calls) {
        TransferReport report = join(call.get(30, TimeUnit.SECONDS));
        assertEquals(1, report.objectsCopied() + report.objectsSkipped(), report.toString());
        objects += report.objectsCopied();
        bytes += report.bytesCopied();
      }
      assertEquals(1, objects);
      assertEquals(size, bytes);
    } finally {
      callerPool.shutdownNow();
    }
    assertEquals(size, src.bytesRead.get());
    assertEquals(1, src.gets.get());
    assertEquals(size, transferer.bytesCopied());
    assertEquals(1, transferer.objectsCopied());
    assertEquals(size, dstFiles.stat(shared));
  }

  @Test
  void anObjectMissingFromTheSourceFailsTheTransferNamingIt() throws Exception {
    List<Digest> present = putObjects(srcFiles, 2, 100);
    Digest absent = Digest.parse("0".repeat(64));
    List<Digest> wanted = List.of(present.get(0), absent, present.get(1));
    Transferer transferer = builder().build();

    RepositoryException e = failure(transferer.transfer(src, dst, wanted));

    assertEquals(RepositoryException.Kind.NOT_FOUND, e.kind());
    assertEquals(absent, e.digest().orElseThrow());
    assertTrue(e.getMessage().contains(absent.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(src.name()), e.getMessage());
  }

  @Test
  void aCorruptSourceObjectIsRejectedAndNotLeftInTheDestination() throws Exception {
    Digest digest = srcFiles.put(new GeneratedStream(1, 100_000));
    Path file = srcFiles.file(digest).orElseThrow();
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 10);
    }
    Transferer transferer = builder().build();

    RepositoryException e = failure(transferer.transfer(src, dstFiles, List.of(digest)));

    assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
    assertEquals(digest, e.digest().orElseThrow());
    assertEquals(Set.of(digest), dstFiles.missing(List.of(digest)));
    assertEquals(List.of(), FileRepositoryTest.regularFiles(dstFiles.root()));
    assertEquals(0, transferer.objectsCopied());

    // The failure was not remembered: once the source is repaired, the copy goes through.
    srcFiles.put(new GeneratedStream(1, 100_000));
    assertEquals(new TransferReport(1, 100_000, 0),
        join(transferer.transfer(srcFiles, dstFiles, List.of(digest))));
  }

  @Test
  void bytesThatDoNotMatchAreRefusedBeforeTheDestinationAcceptsThem() throws Exception {
    Digest asked = Digest.of(GeneratedStream.bytes(1, 1000));
    byte[] wrong = GeneratedStream.bytes(2, 1000);
    // A source that does not verify what it serves.
    Repository lying = new CountingRepository(srcFiles) {
      @Override
      public InputStream get(Digest digest) {
        return new ByteArrayInputStream(wrong);
      }
    };
    Transferer transferer = builder().build();

    RepositoryException e = failure(transferer.transfer(lying, dstFiles, List.of(asked)));

    assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
    assertEquals(asked, e.digest().orElseThrow());
    assertEquals(List.of(), FileRepositoryTest.regularFiles(dstFiles.root()));
  }

  @Test
  void unavailableIsSurfacedAsIs() throws Exception {
    Digest digest = srcFiles.put(new GeneratedStream(1, 10));
    RepositoryException down = RepositoryException.unavailable(src.name(), digest, "test", null);
    src.failGets = down;
    Transferer transferer = builder().build();

    assertSame(down, failure(transferer.transfer(src, dst, List.of(digest))));

    src.failGets = null;
    assertEquals(new TransferReport(1, 10, 0),
        join(transferer.transfer(src, dst, List.of(digest))));
  }

  @Test
  void boundedConcurrencyIsRespectedOverAllTransfers() throws Exception {
    int limit = 3;
    List<Digest> digests = putObjects(srcFiles, 4 * limit, 256 << 10);
    CountDownLatch allOpen = new CountDownLatch(limit);
    // Each copy waits until `limit` copies are open at once, so the bound is reached, and an
    // unbounded transferer would open all twelve together.
    src.onGet = in -> {
      allOpen.countDown();
      return new FilterInputStream(in) {
        boolean waited;

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
          if (!waited) {
            waited = true;
            try {
              allOpen.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted", e);
            }
          }
          return super.read(buffer, offset, length);
        }
      };
    };
    Transferer transferer = builder().maxConcurrency(limit).build();

    List<CompletableFuture<TransferReport>> transfers = new ArrayList<>();
    for (int i = 0; i < digests.size(); i += limit) {
      transfers.add(transferer.transfer(src, dst, digests.subList(i, i + limit)));
    }
    for (CompletableFuture<TransferReport> transfer : transfers) {
      join(transfer);
    }

    assertEquals(limit, src.maxOpenStreams.get());
    assertEquals(digests.size(), transferer.objectsCopied());
  }

  @Test
  void cancellingATransferWithdrawsItsQueuedCopies() throws Exception {
    List<Digest> digests = putObjects(srcFiles, 3, 1000);
    Digest a = digests.get(0);
    Digest b = digests.get(1);
    Digest c = digests.get(2);
    CountDownLatch release = new CountDownLatch(1);
    src.onGet = in -> new FilterInputStream(in) {
      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
        return super.read(buffer, offset, length);
      }
    };
    Transferer transferer = builder().maxConcurrency(1).build();

    CompletableFuture<TransferReport> first = transferer.transfer(src, dst, List.of(a));
    CompletableFuture<TransferReport> second = transferer.transfer(src, dst, List.of(b));
    // One slot: the copy of a runs (blocked) and the copy of b waits behind it.
    await().atMost(Duration.ofSeconds(10)).until(() -> src.gets(a) == 1);
    assertTrue(second.cancel(true));
    release.countDown();
    assertEquals(new TransferReport(1, 1000, 0), join(first));
    // The queue is in order: once a later transfer is through, b's turn has passed.
    assertEquals(new TransferReport(1, 1000, 0),
        join(transferer.transfer(src, dst, List.of(c))));

    assertEquals(0, src.gets(b));
    assertEquals(Set.of(b), dstFiles.missing(List.of(a, b, c)));
    assertThrows(CancellationException.class, second::join);
    assertEquals(2, transferer.objectsCopied());
  }

  @Test
  void forgetMakesTheNextTransferAskTheDestinationAgain() throws Exception {
    Digest digest = srcFiles.put(new GeneratedStream(1, 1000));
    Transferer transferer = builder().build();
    join(transferer.transfer(src, dst, List.of(digest)));
    // The destination is wiped behind the transferer's back.
    Files.delete(dstFiles.file(digest).orElseThrow());
    assertEquals(new TransferReport(0, 0, 1),
        join(transferer.transfer(src, dst, List.of(digest))));

    transferer.forget(dst);

    assertEquals(new TransferReport(1, 1000, 0),
        join(transferer.transfer(src, dst, List.of(digest))));
    assertEquals(1000, dstFiles.stat(digest));
  }

  @Test
  void aDestinationThatCannotTellFailsTheTransfer() throws Exception {
    Digest digest = srcFiles.put(new GeneratedStream(1, 10));
    RepositoryException down = RepositoryException.unavailable(dst.name(), null, "test", null);
    Repository unreachable = new CountingRepository(dstFiles) {
      @Override
      public Set<Digest> missing(Collection<Digest> digests) {
        throw down;
      }
    };
    Transferer transferer = builder().build();
    assertSame(down, failure(transferer.transfer(src, unreachable, List.of(digest))));
  }

  @Test
  void builderValidatesEachOptionOnce() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> Transferer.newBuilder().maxConcurrency(0));
    assertEquals("max concurrency must be > 0 but was 0", zero.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> Transferer.newBuilder().cacheSize(-1));
    assertEquals("cache size must be >= 0 but was -1", negative.getMessage());
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> Transferer.newBuilder().maxConcurrency(2).maxConcurrency(3));
    assertEquals("max concurrency was already set to 2", twice.getMessage());
    assertThrows(IllegalStateException.class,
        () -> Transferer.newBuilder().executor(pool).executor(pool));
  }

  @Test
  void theDefaultExecutorWorks() throws Exception {
    Digest digest = srcFiles.put(new GeneratedStream(1, 10));
    Transferer transferer = Transferer.newBuilder().build();
    assertEquals(new TransferReport(1, 10, 0),
        join(transferer.transfer(src, dst, List.of(digest))));
  }

  private static RepositoryException failure(CompletableFuture<TransferReport> transfer)
      throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> transfer.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof RepositoryException, String.valueOf(e.getCause()));
    return (RepositoryException) e.getCause();
  }
}
