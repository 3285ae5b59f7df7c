package org.stowage.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.scheduler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.repository.Digest;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.repository.RepositoryException;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;
import org.stowage.testing.InMemoryRepository;

/** Inputs staged onto allocs before the exec, outputs uploaded after it. */
@Timeout(60)
class StagingTest {

  private final FakeCluster cluster = Fixtures.cluster().build();
  private final InMemoryRepository repo = new InMemoryRepository("tasks");
  private Scheduler scheduler = scheduler(cluster).repository(repo).build();

  @AfterEach
  void close() {
    scheduler.close();
    cluster.checkNoLeaks();
    repo.checkNoOpenStreams();
  }

  private static Fileset file(String path, Digest d, long size) {
    return Fileset.of(Map.of(path, new FileRef(d, size)));
  }

  private static Task reader(InMemoryRepository from, Fileset inputs) {
    Task.Builder b = Task.newBuilder().resources(cpuMem(1, 1)).command("wc", "-l", "in/data.txt")
        .input("in", inputs);
    if (from != null) {
      b.repository(from);
    }
    return b.build();
  }

  @Test
  void inputsAreInTheAllocsRepositoryBeforeTheExecStartsAndOutputsComeBack() throws Exception {
    byte[] data = "one\ntwo\n".getBytes(StandardCharsets.UTF_8);
    Digest d = repo.putBytes(data);
    Task t = reader(null, file("data.txt", d, data.length));
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    FakeExec x = alloc.takeExec(WAIT);
    assertEquals(Map.of("in/data.txt", new FileRef(d, data.length)), x.request().inputs().files());
    assertTrue(alloc.repository().contains(d));

    x.output("count.txt", "2\n").succeed();
    assertTrue(done(t).succeeded());
    FileRef out = t.result().outputs().files().get("count.txt");
    assertEquals(2, out.size());
    assertTrue(repo.contains(out.digest()), "the output was not uploaded to the task's repository");
  }

  @Test
  void tasksWithDifferentRepositoriesOnOneAllocEachGetTheirOwnOutputs() throws Exception {
    InMemoryRepository mine = new InMemoryRepository("mine");
    InMemoryRepository yours = new InMemoryRepository("yours");
    Digest a = mine.putBytes("a\n".getBytes(StandardCharsets.UTF_8));
    Digest b = yours.putBytes("b\n".getBytes(StandardCharsets.UTF_8));
    Task first = reader(mine, file("data.txt", a, 2));
    Task second = reader(yours, file("data.txt", b, 2));
    scheduler.submit(List.of(first, second));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    FakeExec x1 = alloc.takeExec(WAIT);
    FakeExec x2 = alloc.takeExec(WAIT);
    FakeExec forFirst = x1.id().equals(first.id()) ? x1 : x2;
    FakeExec forSecond = forFirst == x1 ? x2 : x1;
    forFirst.output("result.txt", "mine").succeed();
    forSecond.output("result.txt", "yours").succeed();

    Digest mineOut = done(first).result().outputs().files().get("result.txt").digest();
    Digest yoursOut = done(second).result().outputs().files().get("result.txt").digest();
    assertTrue(mine.contains(mineOut));
    assertFalse(mine.contains(yoursOut));
    assertTrue(yours.contains(yoursOut));
    assertFalse(yours.contains(mineOut));
  }

  @Test
  void aMissingInputEndsTheTaskNamingDigestAndPathWithoutRetry() throws Exception {
    scheduler.close();
    scheduler = scheduler(cluster).repository(repo).maxFailedAttempts(3).build();
    Digest missing = Digest.of("nowhere".getBytes(StandardCharsets.UTF_8));
    Task t = reader(null, file("data.txt", missing, 7));
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();

    TaskStatus s = done(t);
    assertEquals(TaskException.Kind.NOT_FOUND, s.error().kind());
    assertTrue(s.error().getMessage().contains("in/data.txt"), s.error().getMessage());
    assertTrue(s.error().getMessage().contains(missing.toString()), s.error().getMessage());
    assertEquals(0, s.attempt());
    assertTrue(alloc.execs().isEmpty());
    // The scheduler keeps serving, on the same alloc.
    Task ok = Task.newBuilder().resources(cpuMem(1, 1)).command("true").build();
    scheduler.submit(List.of(ok));
    alloc.takeExec(WAIT).succeed();
    assertTrue(done(ok).succeeded());
  }

  @Test
  void aCorruptInputIsNeverAcceptedOntoTheAlloc() throws Exception {
    byte[] data = "precious".getBytes(StandardCharsets.UTF_8);
    Digest d = repo.putBytes(data);
    repo.corrupt(d);
    Task t = reader(null, file("data.txt", d, data.length));
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();

    TaskStatus s = done(t);
    assertEquals(TaskException.Kind.CORRUPT, s.error().kind());
    assertTrue(s.error().getMessage().contains("in/data.txt"), s.error().getMessage());
    assertFalse(alloc.repository().contains(d));
    assertTrue(alloc.execs().isEmpty());
  }

  @Test
  void anUnavailableRepositoryIsRetriedUntilItAnswers() throws Exception {
    byte[] data = "later".getBytes(StandardCharsets.UTF_8);
    Digest d = repo.putBytes(data);
    repo.failNext(RepositoryException.unavailable(repo.name(), d, "503 slow down", null));
    Task t = reader(null, file("data.txt", d, data.length));
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();
    alloc.takeExec(WAIT).succeed();
    assertTrue(done(t).succeeded());
    assertEquals(0, t.attempt());
  }

  @Test
  void aRepositoryThatStaysUnavailableCountsAsAFailedAttempt() throws Exception {
    byte[] data = "never".getBytes(StandardCharsets.UTF_8);
    Digest d = repo.putBytes(data);
    repo.unavailable(true);
    Task t = reader(null, file("data.txt", d, data.length));
    scheduler.submit(List.of(t));
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant();

    TaskStatus s = done(t);
    assertEquals(TaskException.Kind.FAILED, s.error().kind());
    assertTrue(s.error().getMessage().contains("staging"), s.error().getMessage());
    assertTrue(alloc.execs().isEmpty());
    repo.unavailable(false);
  }

  @Test
  void anAllocLostWhileStagingMakesItsTaskLost() throws Exception {
    byte[] data = "slow".getBytes(StandardCharsets.UTF_8);
    Digest d = repo.putBytes(data);
    repo.unavailable(true);   // staging cannot finish...
    Task t = reader(null, file("data.txt", d, data.length));
    scheduler.submit(List.of(t));
    FakeAlloc first = cluster.takeRequest(WAIT).grant();
    reach(t, State.STAGING);
    first.fail("preempted");   // ...and the alloc dies meanwhile
    FakeCluster.Request again = cluster.takeRequest(WAIT);
    assertEquals(1, t.attempt());   // visible before the request was made
    repo.unavailable(false);
    again.grant().takeExec(WAIT).succeed();
    assertTrue(done(t).succeeded());
    assertTrue(first.execs().isEmpty());
  }

  @Test
  void aHundredTasksSharingOneInputOnOneAllocTransferItOnce() throws Exception {
    byte[] big = new byte[10 << 20];
    new Random(1).nextBytes(big);
    Digest d = repo.putBytes(big);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      tasks.add(Task.newBuilder().resources(cpuMem(0.1, 0.01)).command("md5sum", "in/big.bin")
          .input("in", file("big.bin", d, big.length)).build());
    }
    scheduler.submit(tasks);
    FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(16, 16));
    for (int i = 0; i < 100; i++) {
      alloc.takeExec(WAIT).succeed();
    }
    for (Task t : tasks) {
      assertTrue(done(t).succeeded());
    }
    assertEquals(big.length, alloc.repository().bytesWritten());
    assertEquals(big.length, repo.bytesRead());
  }
}
