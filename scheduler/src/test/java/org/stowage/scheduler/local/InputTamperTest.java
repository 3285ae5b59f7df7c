package org.stowage.scheduler.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.ProcessFixtures.put;
import static org.stowage.scheduler.ProcessFixtures.read;
import static org.stowage.scheduler.local.LocalFixtures.WAIT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.FileRef;
import org.stowage.repository.FileRepository;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.Scheduler;
import org.stowage.scheduler.State;
import org.stowage.scheduler.Task;
import org.stowage.scheduler.TaskStatus;

/**
 * A task's inputs come from its alloc's repository, which later tasks on the alloc read too. A
 * task that writes an input in place (as its owner, or as root, read-only bits do not stop it),
 * however it covers its tracks, and an object damaged on disk in the alloc's repository, must
 * never reach a later task: it reads the original bytes or nothing. Real files, real processes.
 */
@Timeout(90)
class InputTamperTest {

  @TempDir Path tmp;

  private static TaskStatus done(Task t) throws Exception {
    try {
      t.await(State.DONE).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // the status says why
    }
    return t.status();
  }

  /** A task that takes the whole machine, so that the tasks of a test share one alloc. */
  private static Task reader(String name, String command, FileRef data) {
    return Task.newBuilder().name(name)
        .resources(Resources.of(Resources.CPU, 2, Resources.MEM, Resources.GiB))
        .command("sh", "-c", command)
        .input("in", Fileset.of(Map.of("data.txt", data)))
        .build();
  }

  /** Runs {@code task} to its end and returns what it copied to {@code out/seen.txt}. */
  private static String seen(Scheduler scheduler, FileRepository repository, Task task)
      throws Exception {
    scheduler.submit(List.of(task));
    TaskStatus status = done(task);
    assertTrue(status.succeeded(), status::toString);
    return read(repository, status.result().outputs().files().get("seen.txt"));
  }

  @Test
  void aTaskThatWritesItsInputInPlaceChangesOnlyItsOwnCopy() throws Exception {
    FileRepository repository = FileRepository.open(tmp.resolve("repository"));
    FileRef data = put(repository, "original\n");
    try (LocalCluster cluster = LocalFixtures.cluster(tmp.resolve("work"));
        Scheduler scheduler = LocalFixtures.scheduler(cluster, repository)
            .maxAllocIdleTime(Duration.ofMinutes(5)).build()) {
      Task vandal = reader("vandal",
          "chmod u+w in/data.txt && echo tampered >> in/data.txt && cp in/data.txt out/seen.txt",
          data);
      assertEquals("original\ntampered\n", seen(scheduler, repository, vandal));

      Task next = reader("next", "cp in/data.txt out/seen.txt", data);
      assertEquals("original\n", seen(scheduler, repository, next));
      assertEquals(1, scheduler.counts().allocsRequested(), "the second task ran on a new alloc");
    }
  }

  @Test
  void aTaskThatRewritesItsInputInPlaceAndRestoresItsTimeDoesNotReachTheNextTask()
      throws Exception {
    FileRepository repository = FileRepository.open(tmp.resolve("repository"));
    FileRef data = put(repository, "original\n");
    try (LocalCluster cluster = LocalFixtures.cluster(tmp.resolve("work"));
        Scheduler scheduler = LocalFixtures.scheduler(cluster, repository)
            .maxAllocIdleTime(Duration.ofMinutes(5)).build()) {
      // Same size, same permissions, same modification time (to the nanosecond): only the bytes
      // differ.
      Task vandal = reader("vandal", "cp -p in/data.txt stamp"
          + " && chmod u+w in/data.txt"
          + " && printf TAMPERED | dd of=in/data.txt conv=notrunc status=none"
          + " && chmod a-w in/data.txt && touch -r stamp in/data.txt && rm stamp"
          + " && cp in/data.txt out/seen.txt", data);
      assertEquals("TAMPERED\n", seen(scheduler, repository, vandal));

      Task next = reader("next", "cp in/data.txt out/seen.txt", data);
      assertEquals("original\n", seen(scheduler, repository, next));
      assertEquals(1, scheduler.counts().allocsRequested(), "the second task ran on a new alloc");
    }
  }

  @Test
  void anObjectWithAByteFlippedInTheAllocsRepositoryIsNeverLaidOut() throws Exception {
    FileRepository repository = FileRepository.open(tmp.resolve("repository"));
    FileRef data = put(repository, "original\n");
    Path work = tmp.resolve("work");
    try (LocalCluster cluster = LocalFixtures.cluster(work);
        Scheduler scheduler = LocalFixtures.scheduler(cluster, repository)
            .maxAllocIdleTime(Duration.ofMinutes(5)).maxFailedAttempts(2).build()) {
      Task first = reader("first", "cp in/data.txt out/seen.txt", data);
      assertEquals("original\n", seen(scheduler, repository, first));

      // On disk, in the alloc's repository: same size, same time, one bit different.
      Path object = objectIn(work, data);
      flipFirstByteKeepingTime(object);
      assertEquals("nriginal\n", Files.readString(object));

      // The damaged object is refused as the sandbox is laid out (one failed attempt) and dropped,
      // so that the next attempt stages it again on the same alloc and reads the original.
      Task second = reader("second", "cp in/data.txt out/seen.txt", data);
      assertEquals("original\n", seen(scheduler, repository, second));
      assertEquals(1, second.attempt(), second.status()::toString);
      assertEquals(1, scheduler.counts().allocsRequested(), "the second task ran on a new alloc");
    }
  }

  /** Finds the one file named after {@code ref}'s object under the cluster's work directory. */
  private static Path objectIn(Path work, FileRef ref) throws IOException {
    try (Stream<Path> files = Files.walk(work)) {
      List<Path> found = files
          .filter(p -> p.getFileName().toString().equals(ref.digest().hex()))
          .filter(p -> p.getParent().getParent().getFileName().toString().equals("objects"))
          .toList();
      assertEquals(1, found.size(), found::toString);
      return found.get(0);
    }
  }

  /** Flips the lowest bit of the first byte of {@code file}, then restores its mode and time. */
  private static void flipFirstByteKeepingTime(Path file) throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, 0);
      one.put(0, (byte) (one.get(0) ^ 1)).rewind();
      channel.write(one, 0);
    }
    Files.setPosixFilePermissions(file, mode);
    Files.setLastModifiedTime(file, modified);
  }
}
