package org.stowage.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class FileRepositoryTest {
  @TempDir Path dir;

  private FileRepository open() throws IOException {
    return FileRepository.open(dir.resolve("repo"));
  }

  @Test
  void openingSweepsTemporaryFilesACrashedWriterLeftButNotFreshOnes() throws Exception {
    FileRepository first = open();
    Path tmp = first.root().resolve("tmp");
    Path stale = Files.write(tmp.resolve("put-crashed.tmp"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(
        System.currentTimeMillis() - FileRepository.STALE_TEMP_AGE.toMillis() - 60_000));
    Path fresh = Files.write(tmp.resolve("put-inflight.tmp"), new byte[] {4});
    Path other = Files.write(tmp.resolve("notes.txt"), new byte[] {5});
    Files.setLastModifiedTime(other, Files.getLastModifiedTime(stale));

    FileRepository again = open();
    assertFalse(Files.exists(stale), "a crashed writer's temporary file was left behind");
    assertTrue(Files.exists(fresh), "a put in progress lost its temporary file");
    assertTrue(Files.exists(other), "a file that is not a put's was deleted");
    assertEquals(first.root(), again.root());
  }

  @Test
  void roundTripsAnEmptyObject() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new ByteArrayInputStream(new byte[0]));
    assertEquals(Digest.of(new byte[0]), digest);
    assertEquals(0, repository.stat(digest));
    try (InputStream in = repository.get(digest)) {
      assertArrayEquals(new byte[0], in.readAllBytes());
    }
  }

  @Test
  void roundTripsOneByte() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new ByteArrayInputStream(new byte[] {42}));
    assertEquals(Digest.of(new byte[] {42}), digest);
    assertEquals(1, repository.stat(digest));
    try (InputStream in = repository.get(digest)) {
      assertEquals(42, in.read());
      assertEquals(-1, in.read());
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void streams100MibInBothDirectionsWithoutHoldingIt() throws Exception {
    FileRepository repository = open();
    long size = 100L << 20;
    Digest expected = Digest.of(new GeneratedStream(42, size));
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    Digest digest = repository.put(new GeneratedStream(42, size));
    long allocatedByPut = threads.getCurrentThreadAllocatedBytes() - before;

    assertEquals(expected, digest);
    assertEquals(size, repository.stat(digest));
    assertEquals(size, Files.size(repository.file(digest).orElseThrow()));

    before = threads.getCurrentThreadAllocatedBytes();
    Digest read;
    try (InputStream in = repository.get(digest)) {
      read = Digest.of(in);
    }
    long allocatedByGet = threads.getCurrentThreadAllocatedBytes() - before;

    assertEquals(expected, read);
    // Streaming allocates a few buffers; holding the object would allocate at least its size.
    assertTrue(allocatedByPut < (4 << 20), "put allocated " + allocatedByPut + " bytes");
    assertTrue(allocatedByGet < (4 << 20), "get allocated " + allocatedByGet + " bytes");
  }

  @Test
  @Timeout(60)
  void sixteenConcurrentPutsOfOneObjectStoreItOnce() throws Exception {
    FileRepository repository = open();
    int threads = 16;
    long size = 4 << 20;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Digest>> puts = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        puts.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          return repository.put(new GeneratedStream(3, size));
        }));
      }
      Set<Digest> digests = new java.util.HashSet<>();
      for (Future<Digest> put : puts) {
        digests.add(put.get(60, TimeUnit.SECONDS));
      }
      assertEquals(Set.of(Digest.of(new GeneratedStream(3, size))), digests);
    } finally {
      pool.shutdownNow();
    }
    Digest digest = Digest.of(new GeneratedStream(3, size));
    assertEquals(List.of(repository.file(digest).orElseThrow()), regularFiles(dir.resolve("repo")));
    assertEquals(size, repository.stat(digest));
    try (InputStream in = repository.get(digest)) {
      assertEquals(digest, Digest.of(in));
    }
  }

  @Test
  void putIsIdempotent() throws Exception {
    FileRepository repository = open();
    byte[] bytes = "hello".getBytes();
    Digest first = repository.put(new ByteArrayInputStream(bytes));
    Digest second = repository.put(new ByteArrayInputStream(bytes));
    assertEquals(first, second);
    assertEquals(1, regularFiles(dir.resolve("repo")).size());
  }

  @Test
  void objectsAreShardedByDigestPrefixAndReadOnly() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new ByteArrayInputStream("abc".getBytes()));
    Path file = repository.file(digest).orElseThrow();
    assertEquals(repository.root().resolve("objects/ba/" + DigestTest.ABC), file);
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
    assertFalse(permissions.contains(PosixFilePermission.OWNER_WRITE), permissions.toString());
    assertFalse(permissions.contains(PosixFilePermission.GROUP_WRITE), permissions.toString());
    assertFalse(permissions.contains(PosixFilePermission.OTHERS_WRITE), permissions.toString());
  }

  @Test
  void fileIsEmptyForAnAbsentObject() throws Exception {
    assertTrue(open().file(Digest.parse(DigestTest.ABC)).isEmpty());
  }

  @Test
  void missingListsAbsentObjectsInOrderOnce() throws Exception {
    FileRepository repository = open();
    Digest present = repository.put(new ByteArrayInputStream("abc".getBytes()));
    Digest absent1 = Digest.parse("1".repeat(64));
    Digest absent2 = Digest.parse("2".repeat(64));
    Set<Digest> missing =
        repository.missing(List.of(absent2, present, absent1, absent2));
    assertEquals(List.of(absent2, absent1), List.copyOf(missing));
    assertThrows(UnsupportedOperationException.class, () -> missing.add(present));
    assertEquals(Set.of(), repository.missing(List.of(present)));
  }

  @Test
  void getAndStatOfAnAbsentObjectAreNotFoundNamingIt() throws Exception {
    FileRepository repository = open();
    Digest digest = Digest.parse(DigestTest.ABC);
    RepositoryException get = assertThrows(RepositoryException.class, () -> repository.get(digest));
    RepositoryException stat =
        assertThrows(RepositoryException.class, () -> repository.stat(digest));
    for (RepositoryException e : List.of(get, stat)) {
      assertEquals(RepositoryException.Kind.NOT_FOUND, e.kind());
      assertEquals(digest, e.digest().orElseThrow());
      assertEquals(repository.name(), e.repository());
      assertEquals("object sha256:" + DigestTest.ABC + " not found in repository "
          + repository.name(), e.getMessage());
    }
  }

  @Test
  void aTruncatedObjectIsCorruptWhenRead() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new GeneratedStream(5, 100_000));
    Path file = writable(repository.file(digest).orElseThrow());
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(99_999);
    }
    assertCorruptWhenRead(repository, digest);
  }

  @Test
  void anAlteredObjectIsCorruptWhenRead() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new GeneratedStream(5, 100_000));
    flipByte(repository.file(digest).orElseThrow(), 50_000);
    assertEquals(100_000, repository.stat(digest)); // same size: only reading can tell
    assertCorruptWhenRead(repository, digest);

    // Putting the right bytes again repairs the object.
    assertEquals(digest, repository.put(new GeneratedStream(5, 100_000)));
    try (InputStream in = repository.get(digest)) {
      assertEquals(digest, Digest.of(in));
    }
  }

  @Test
  void copyToMakesACheckedCopyThatIsTheCallersOwn() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new GeneratedStream(5, 100_000));
    Path copy = dir.resolve("copy");
    assertEquals(100_000, repository.copyTo(digest, copy));
    try (InputStream in = Files.newInputStream(copy)) {
      assertEquals(digest, Digest.of(in));
    }
    assertFalse(Files.getPosixFilePermissions(copy).contains(PosixFilePermission.OWNER_WRITE));

    // Writing the copy, as its owner or as root could, leaves the object as it was.
    writable(copy);
    Files.write(copy, new byte[] {1, 2, 3});
    try (InputStream in = repository.get(digest)) {
      assertEquals(digest, Digest.of(in));
    }

    // The target must be new; a failed copy leaves nothing there.
    RepositoryException exists =
        assertThrows(RepositoryException.class, () -> repository.copyTo(digest, copy));
    assertEquals(RepositoryException.Kind.UNAVAILABLE, exists.kind());
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(copy));
    Digest absent = Digest.parse("0".repeat(64));
    RepositoryException notFound = assertThrows(RepositoryException.class,
        () -> repository.copyTo(absent, dir.resolve("absent")));
    assertEquals(RepositoryException.Kind.NOT_FOUND, notFound.kind());
    assertFalse(Files.exists(dir.resolve("absent")));
  }

  @Test
  void anObjectWithAFlippedByteIsNeitherCopiedNorHandedOutAndIsDeleted() throws Exception {
    FileRepository repository = open();
    for (boolean viaFile : List.of(false, true)) {
      Digest digest = repository.put(new GeneratedStream(viaFile ? 6 : 7, 100_000));
      flipByte(repository.file(digest).orElseThrow(), 50_000);
      Path copy = dir.resolve("copy-" + viaFile);
      RepositoryException e = assertThrows(RepositoryException.class,
          () -> {
            if (viaFile) {
              repository.file(digest);
            } else {
              repository.copyTo(digest, copy);
            }
          });
      assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
      assertTrue(e.getMessage().contains("the object was deleted"), e.getMessage());
      assertFalse(Files.exists(copy), "a copy of bad bytes was left in place");
      assertEquals(Set.of(digest), repository.missing(List.of(digest)));
      assertTrue(repository.file(digest).isEmpty());

      // Staging the object again restores it.
      repository.put(new GeneratedStream(viaFile ? 6 : 7, 100_000));
      assertEquals(100_000, repository.copyTo(digest, copy));
    }
  }

  @Test
  void aFailedPutStoresNothingAndLeavesNoTemporaryFile() throws Exception {
    FileRepository repository = open();
    InputStream failing = new InputStream() {
      int left = 200_000;

      @Override
      public int read() throws IOException {
        throw new IOException("single-byte reads are not expected");
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        if (left <= 0) {
          throw new IOException("disk on fire");
        }
        int n = Math.min(length, left);
        java.util.Arrays.fill(buffer, offset, offset + n, (byte) 7);
        left -= n;
        return n;
      }
    };
    RepositoryException e =
        assertThrows(RepositoryException.class, () -> repository.put(failing));
    assertEquals(RepositoryException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("disk on fire"), e.getMessage());
    assertTrue(e.getMessage().contains(repository.name()), e.getMessage());

    RepositoryException corrupt = RepositoryException.corrupt("elsewhere", Digest.of(new byte[0]),
        "test");
    InputStream corrupting = new InputStream() {
      @Override
      public int read() {
        throw corrupt;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) {
        throw corrupt;
      }
    };
    assertSame(corrupt, assertThrows(RepositoryException.class, () -> repository.put(corrupting)));
    assertEquals(List.of(), regularFiles(dir.resolve("repo")));
  }

  @Test
  void nothingIsWrittenOutsideTheRoot() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("keep.txt"), "keep");
    FileRepository repository = open();
    Digest digest = repository.put(new ByteArrayInputStream("abc".getBytes()));
    repository.stat(digest);
    repository.get(digest).close();
    repository.missing(List.of(digest, Digest.parse("0".repeat(64))));
    assertThrows(RepositoryException.class, () -> repository.get(Digest.parse("0".repeat(64))));
    assertThrows(IllegalArgumentException.class,
        () -> repository.get(Digest.parse("../outside/keep.txt")));

    Path root = repository.root();
    List<Path> strays = regularFiles(dir).stream()
        .filter(p -> !p.toAbsolutePath().startsWith(root))
        .collect(Collectors.toList());
    assertEquals(List.of(outside.resolve("keep.txt")), strays);
    assertEquals("keep", Files.readString(outside.resolve("keep.txt")));
  }

  @Test
  void anObjectThatIsASymbolicLinkToAFileOutsideIsNeverServed() throws Exception {
    FileRepository repository = open();
    byte[] secret = "kept outside the repository".getBytes();
    Path outside = Files.write(Files.createDirectories(dir.resolve("outside")).resolve("secret"),
        secret);
    Digest digest = Digest.of(secret);
    Path object = repository.root().resolve("objects/" + digest.hex().substring(0, 2))
        .resolve(digest.hex());
    Files.createDirectories(object.getParent());
    Files.createSymbolicLink(object, outside);

    for (Executable call : List.<Executable>of(() -> repository.get(digest).close(),
        () -> repository.stat(digest), () -> repository.file(digest))) {
      RepositoryException e = assertThrows(RepositoryException.class, call);
      assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
      assertTrue(e.getMessage().contains(object + " is a symbolic link"), e.getMessage());
    }
    assertEquals(Set.of(digest), repository.missing(List.of(digest)));

    // Putting the object replaces the link with the object itself; the file outside is untouched.
    assertEquals(digest, repository.put(new ByteArrayInputStream(secret)));
    assertFalse(Files.isSymbolicLink(object));
    assertTrue(Files.isRegularFile(object, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertArrayEquals(secret, Files.readAllBytes(outside));
    try (InputStream in = repository.get(digest)) {
      assertArrayEquals(secret, in.readAllBytes());
    }
  }

  @Test
  void aShardDirectoryThatIsASymbolicLinkOutsideIsNeitherWrittenNorRead() throws Exception {
    FileRepository repository = open();
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Digest digest = Digest.of("abc".getBytes());
    Path shard = repository.root().resolve("objects/ba");
    Files.createSymbolicLink(shard, outside);

    RepositoryException put = assertThrows(RepositoryException.class,
        () -> repository.put(new ByteArrayInputStream("abc".getBytes())));
    assertEquals(RepositoryException.Kind.UNAVAILABLE, put.kind());
    assertTrue(put.getMessage().contains(shard + ": is a symbolic link"), put.getMessage());
    assertEquals(List.of(), regularFiles(outside), "the put wrote outside the root");
    assertEquals(List.of(), regularFiles(repository.root()), "the put left a temporary file");

    // An object planted outside is not read through the link either.
    Files.write(outside.resolve(digest.hex()), "abc".getBytes());
    for (Executable call : List.<Executable>of(() -> repository.get(digest).close(),
        () -> repository.stat(digest), () -> repository.file(digest),
        () -> repository.missing(List.of(digest)))) {
      RepositoryException e = assertThrows(RepositoryException.class, call);
      assertEquals(RepositoryException.Kind.UNAVAILABLE, e.kind());
      assertTrue(e.getMessage().contains(shard + ": is a symbolic link"), e.getMessage());
    }
  }

  @Test
  void openRefusesObjectsOrTmpDirectoriesThatAreSymbolicLinks() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    for (String name : List.of("objects", "tmp")) {
      Path root = Files.createDirectories(dir.resolve("root-" + name));
      Path link = Files.createSymbolicLink(root.resolve(name), outside);
      IOException e = assertThrows(IOException.class, () -> FileRepository.open(root));
      assertTrue(e.getMessage().contains(link + ": is a symbolic link"), e.getMessage());
    }
    assertEquals(List.of(), contents(outside));
  }

  @Test
  void instancesOnOneRootShareObjectsAndName() throws Exception {
    FileRepository first = open();
    Digest digest = first.put(new ByteArrayInputStream("abc".getBytes()));
    Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("repo"));
    FileRepository second = FileRepository.open(link);
    assertEquals(first.name(), second.name());
    assertEquals("file:" + dir.resolve("repo").toRealPath(), second.name());
    assertEquals(3, second.stat(digest));
  }

  @Test
  void openRefusesAFile() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThrows(IOException.class, () -> FileRepository.open(file));
  }

  @Test
  @Timeout(10)
  void asyncVariantsFailWithTheRepositoryExceptionItself() throws Exception {
    FileRepository repository = open();
    Digest digest = repository.put(new ByteArrayInputStream("abc".getBytes()));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      assertEquals(3L, repository.statAsync(digest, pool).get(5, TimeUnit.SECONDS));
      Digest absent = Digest.parse("0".repeat(64));
      assertEquals(Set.of(absent),
          repository.missingAsync(List.of(digest, absent), pool).get(5, TimeUnit.SECONDS));
      CompletableFuture<Long> failed = repository.statAsync(absent, pool);
      Throwable failure = failed.handle((size, t) -> t).get(5, TimeUnit.SECONDS);
      assertEquals(RepositoryException.class, failure.getClass());
      assertEquals(RepositoryException.Kind.NOT_FOUND, ((RepositoryException) failure).kind());
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertCorruptWhenRead(Repository repository, Digest digest)
      throws IOException {
    try (InputStream in = repository.get(digest)) {
      RepositoryException e = assertThrows(RepositoryException.class, in::readAllBytes);
      assertEquals(RepositoryException.Kind.CORRUPT, e.kind());
      assertEquals(digest, e.digest().orElseThrow());
      assertTrue(e.getMessage().startsWith("object " + digest + " in repository "
          + repository.name() + " is corrupt: "), e.getMessage());
      // Later reads keep failing rather than reporting a clean end.
      assertThrows(RepositoryException.class, in::read);
    }
  }

  /** Flips the lowest bit of the byte at {@code position} of {@code file}, in place. */
  private static void flipByte(Path file, long position) throws IOException {
    writable(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 1)).rewind();
      channel.write(one, position);
    }
  }

  private static Path writable(Path file) throws IOException {
    return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  /** Everything directly in {@code dir}, sorted. */
  private static List<Path> contents(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.sorted().collect(Collectors.toList());
    }
  }

  /** Every regular file under {@code root}, sorted. */
  static List<Path> regularFiles(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }
}
