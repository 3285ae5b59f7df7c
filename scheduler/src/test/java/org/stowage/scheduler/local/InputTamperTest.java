package org.stowage.scheduler.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.ProcessFixtures.put;
import static org.stowage.scheduler.ProcessFixtures.read;
import static org.stowage.scheduler.local.LocalFixtures.WAIT;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
import org.stowage.scheduler.TaskException;
import org.stowage.scheduler.TaskStatus;

/**
 * Inputs are hard links to the alloc's objects. A task that writes one in place (as its owner, or
 * as root, read-only bits do not stop it) must not corrupt what later tasks on the alloc read.
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

  private static Task reader(String name, String command, FileRef data) {
    return Task.newBuilder().name(name)
        .resources(Resources.of(Resources.CPU, 2, Resources.MEM, Resources.GiB))
        .command("sh", "-c", command)
        .input("in", Fileset.of(Map.of("data.txt", data)))
        .build();
  }

  @Test
  void aTaskThatWritesItsInputInPlaceFailsAndLaterTasksReadTheOriginal() throws Exception {
    FileRepository repository = FileRepository.open(tmp.resolve("repository"));
    FileRef data = put(repository, "original\n");
    try (LocalCluster cluster = LocalFixtures.cluster(tmp.resolve("work"));
        Scheduler scheduler = LocalFixtures.scheduler(cluster, repository)
            .maxAllocIdleTime(java.time.Duration.ofMinutes(5)).build()) {
      Task vandal = reader("vandal",
          "chmod u+w in/data.txt && echo tampered >> in/data.txt && cp in/data.txt out/seen.txt",
          data);
      scheduler.submit(List.of(vandal));
      TaskStatus failed = done(vandal);
      assertEquals(TaskException.Kind.FAILED, failed.error().kind(), failed::toString);
      assertTrue(failed.error().getMessage().contains("changed its input in/data.txt in place"),
          failed.error().getMessage());

      // On the same alloc (it takes the whole machine), the next reader gets the original bytes.
      Task next = reader("next", "cp in/data.txt out/seen.txt", data);
      scheduler.submit(List.of(next));
      TaskStatus ok = done(next);
      assertTrue(ok.succeeded(), ok::toString);
      FileRef seen = ok.result().outputs().files().get("seen.txt");
      assertEquals("original\n", read(repository, seen));
      assertEquals(1, scheduler.counts().allocsRequested(), "the second task ran on a new alloc");
    }
  }
}
