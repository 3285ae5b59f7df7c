package org.stowage.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.repository.TransferReport;
import org.stowage.repository.Transferer;
import org.stowage.scheduler.internal.process.Sandbox;

/**
 * Prints throughput figures for {@link FileRepository} and {@link Transferer}: put and get of
 * 1 MiB and 64 MiB objects (MiB/s), staging 10,000 objects of 4 KiB between two file
 * repositories (objects/s), cold and then again with the destination known, and laying inputs out
 * from a file repository into an exec's sandbox ({@link Sandbox#create}) for 1,000 inputs of
 * 4 KiB (inputs/s) and 4 inputs of 64 MiB (MiB/s). A run takes about a minute. Files go under {@code java.io.tmpdir} (override with {@code -Dbench.dir=...})
 * and are removed afterwards.
 *
 * <p>Run from the repository root:
 *
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl bench exec:java -Dexec.mainClass=org.stowage.bench.RepositoryBench
 * </pre>
 *
 * <p>Figures are from one JVM, a few repetitions each, after a warm-up round: indicative, not
 * JMH-grade. Gets read objects that are in the page cache, so they measure verification
 * (SHA-256) more than the disk; puts include an fsync per object.
 */
public final class RepositoryBench {
  private static final int MIB = 1 << 20;

  private RepositoryBench() {}

  /**
   * Runs the benchmark and prints its figures.
   *
   * @param args ignored
   * @throws Exception if the benchmark cannot run
   */
  public static void main(String[] args) throws Exception {
    Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
    Path dir = Files.createTempDirectory(Files.createDirectories(base), "stowage-bench-");
    try {
      System.out.printf(Locale.ROOT, "Stowage repository benchmark: java %s, %d cpus, files in %s%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), dir);
      FileRepository repository = FileRepository.open(dir.resolve("objects"));
      putAndGet(repository, 1 * MIB, 64, 4);
      putAndGet(repository, 64 * MIB, 4, 3);
      staging(dir, 10_000, 4 * 1024, 8);
      sandboxes(dir, 1_000, 4 * 1024, 5);
      sandboxes(dir, 4, 64 * MIB, 3);
    } finally {
      deleteTree(dir);
    }
  }

  /** Puts then gets {@code count} distinct objects of {@code size} bytes, {@code rounds} times. */
  private static void putAndGet(FileRepository repository, int size, int count, int rounds)
      throws IOException {
    byte[] content = new byte[size];
    new SplittableRandom(size).nextBytes(content);
    int variant = 0;
    double bestPut = 0;
    double bestGet = 0;
    for (int round = 0; round <= rounds; round++) { // round 0 warms up
      List<Digest> digests = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        stamp(content, variant++);
        digests.add(repository.put(new ByteArrayInputStream(content)));
      }
      double putSeconds = seconds(start);
      byte[] buffer = new byte[64 * 1024];
      start = System.nanoTime();
      for (Digest digest : digests) {
        try (InputStream in = repository.get(digest)) {
          while (in.read(buffer) != -1) {
            // Reading to the end verifies the digest.
          }
        }
      }
      double getSeconds = seconds(start);
      if (round > 0) {
        bestPut = Math.max(bestPut, (double) count * size / MIB / putSeconds);
        bestGet = Math.max(bestGet, (double) count * size / MIB / getSeconds);
      }
    }
    System.out.printf(Locale.ROOT,
        "FileRepository %5s objects: put %7.1f MiB/s, get (verified) %7.1f MiB/s%n",
        size / MIB + " MiB", bestPut, bestGet);
  }

  /** Stages {@code count} objects of {@code size} bytes from one file repository to another. */
  private static void staging(Path dir, int count, int size, int concurrency) throws Exception {
    FileRepository src = FileRepository.open(dir.resolve("src"));
    FileRepository dst = FileRepository.open(dir.resolve("dst"));
    byte[] content = new byte[size];
    new SplittableRandom(count).nextBytes(content);
    List<Digest> digests = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      stamp(content, i);
      digests.add(src.put(new ByteArrayInputStream(content)));
    }
    double putSeconds = seconds(start);

    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      Transferer transferer =
          Transferer.newBuilder().maxConcurrency(concurrency).executor(pool).build();
      start = System.nanoTime();
      TransferReport cold = transferer.transfer(src, dst, digests).get(10, TimeUnit.MINUTES);
      double coldSeconds = seconds(start);
      start = System.nanoTime();
      TransferReport warm = transferer.transfer(src, dst, digests).get(10, TimeUnit.MINUTES);
      double warmSeconds = seconds(start);
      check(cold.objectsCopied() == count && warm.objectsSkipped() == count,
          "unexpected reports " + cold + " " + warm);

      System.out.printf(Locale.ROOT, "FileRepository put of %d x %d KiB: %9.0f objects/s%n",
          count, size / 1024, count / putSeconds);
      System.out.printf(Locale.ROOT,
          "Transferer staging %d x %d KiB, file to file, %d copies at once: %9.0f objects/s"
              + " (%.1f MiB/s)%n",
          count, size / 1024, concurrency, count / coldSeconds,
          (double) cold.bytesCopied() / MIB / coldSeconds);
      System.out.printf(Locale.ROOT,
          "Transferer staging the same %d again (destination known): %9.0f objects/s%n",
          count, count / warmSeconds);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Lays out a sandbox of {@code count} distinct inputs of {@code size} bytes from a file
   * repository, {@code rounds} times after a warm-up round, and prints the best round; deleting
   * each sandbox afterwards is not timed.
   */
  private static void sandboxes(Path dir, int count, int size, int rounds) throws IOException {
    FileRepository repository = FileRepository.open(dir.resolve("sandbox-" + count + "x" + size));
    byte[] content = new byte[size];
    new SplittableRandom(size).nextBytes(content);
    Map<String, FileRef> files = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      stamp(content, i);
      Digest digest = repository.put(new ByteArrayInputStream(content));
      files.put(String.format(Locale.ROOT, "in/%05d.dat", i), new FileRef(digest, size));
    }
    Fileset inputs = Fileset.of(files);
    double best = Double.MAX_VALUE;
    for (int round = 0; round <= rounds; round++) { // round 0 warms up
      Path sandbox = dir.resolve("sandbox-" + round);
      long start = System.nanoTime();
      Sandbox.create(sandbox, inputs, repository);
      double elapsed = seconds(start);
      Sandbox.delete(sandbox);
      if (round > 0) {
        best = Math.min(best, elapsed);
      }
    }
    System.out.printf(Locale.ROOT,
        "Sandbox layout of %d x %s inputs from a FileRepository: %9.0f inputs/s (%.1f MiB/s)%n",
        count, size >= MIB ? size / MIB + " MiB" : size / 1024 + " KiB", count / best,
        (double) count * size / MIB / best);
  }

  /** Makes {@code content} a distinct object by writing {@code variant} into its first bytes. */
  private static void stamp(byte[] content, int variant) {
    for (int i = 0; i < 4 && i < content.length; i++) {
      content[i] = (byte) (variant >>> (8 * i));
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  /** Deletes a directory tree, making read-only objects writable first where needed. */
  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
          throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path directory, IOException failure)
          throws IOException {
        if (failure != null) {
          throw failure;
        }
        Files.delete(directory);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
