package org.stowage.scheduler.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.stowage.scheduler.ProcessFixtures.contents;
import static org.stowage.scheduler.ProcessFixtures.marker;
import static org.stowage.scheduler.ProcessFixtures.processesWith;
import static org.stowage.scheduler.ProcessFixtures.put;
import static org.stowage.scheduler.ProcessFixtures.read;
import static org.stowage.scheduler.local.LocalFixtures.WAIT;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocLostException;
import org.stowage.scheduler.ExecConfig;
import org.stowage.scheduler.ExecRequest;
import org.stowage.scheduler.ExecResult;
import org.stowage.scheduler.Labels;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.process.ProcessTree;

/** What one exec on a local alloc does with real processes: sandbox, outputs, tails, kills. */
@Timeout(60)
class LocalExecTest {

  @TempDir Path tmp;
  private LocalCluster cluster;
  private LocalAlloc alloc;

  @BeforeEach
  void allocate() throws Exception {
    cluster = LocalFixtures.cluster(tmp.resolve("work"));
    alloc = (LocalAlloc) cluster.allocate(new Requirements(Resources.of(Resources.CPU, 1), 0),
        Labels.empty()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @AfterEach
  void close() {
    cluster.close();
  }

  private static ExecRequest request(Fileset inputs, Map<String, String> env, String script) {
    return new ExecRequest("t7.0", "test", new ExecConfig(List.of("sh", "-c", script), env),
        Resources.of(Resources.CPU, 1), inputs);
  }

  private static ExecResult result(LocalExec x) throws Exception {
    return x.result().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void runsInASandboxWithReadOnlyInputsAndCollectsEveryRegularFileUnderOut() throws Exception {
    FileRef data = put(alloc.repository(), "b\na\nc\n");
    Fileset inputs = Fileset.of(Map.of("in/data.txt", data, "top.txt", data));

    LocalExec x = (LocalExec) alloc.start(request(inputs, Map.of("GREETING", "hello"), """
        sort in/data.txt > out/sorted.txt
        mkdir -p out/deep/er && cat top.txt top.txt > out/deep/er/twice.txt
        ls -l in/data.txt | cut -c 1-10 > out/mode.txt
        ln -s ../top.txt out/link.txt
        mkfifo out/fifo
        echo "$GREETING"; echo oops >&2; exit 3
        """));
    Path sandbox = x.sandbox();
    ExecResult r = result(x);

    assertEquals(3, r.exitCode(), "a non-zero exit is a result");
    assertEquals("hello\n", r.stdout());
    assertEquals("oops\n", r.stderr());
    assertEquals(List.of("deep/er/twice.txt", "mode.txt", "sorted.txt"),
        List.copyOf(r.outputs().files().keySet()), "paths relative to out/, links and fifos skipped");
    Map<String, FileRef> out = r.outputs().files();
    assertEquals("a\nb\nc\n", read(alloc.repository(), out.get("sorted.txt")));
    assertEquals("b\na\nc\nb\na\nc\n", read(alloc.repository(), out.get("deep/er/twice.txt")));
    String mode = read(alloc.repository(), out.get("mode.txt"));
    assertTrue(mode.startsWith("-r") && !mode.contains("w"), "inputs are read-only: " + mode);
    assertEquals(12, out.get("deep/er/twice.txt").size());
    assertFalse(Files.exists(sandbox), "the sandbox is removed before the result completes");
    assertEquals("b\na\nc\n", read(alloc.repository(), data), "the input object is intact");
  }

  @Test
  void everyProcessCarriesTheExecsMarkerInItsEnvironment() throws Exception {
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of(),
        "echo \"$STOWAGE_EXEC\""));

    String token = result(x).stdout().strip();

    assertTrue(token.endsWith("/" + alloc.id() + "/1"), token);
  }

  @Test
  void keepsOnlyTheLast64KiBOfOutput() throws Exception {
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of(), "awk 'BEGIN {"
        + " for (i = 0; i < 50000; i++) { print \"line \" i; print \"err \" i > \"/dev/stderr\" } }'"));

    ExecResult r = result(x);

    assertEquals(0, r.exitCode());
    assertEquals(LocalExec.TAIL_BYTES, r.stdout().length());
    assertTrue(r.stdout().endsWith("line 49998\nline 49999\n"));
    assertEquals(LocalExec.TAIL_BYTES, r.stderr().length());
    assertTrue(r.stderr().endsWith("err 49999\n"));
  }

  @Test
  void killEndsTheWholeProcessTreePromptlyAndRemovesTheSandbox() throws Exception {
    String marker = marker();
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of(),
        "echo started > out/partial.txt; sleep " + marker + " & sleep " + marker + "; wait"));
    await().atMost(WAIT).until(() -> processesWith(marker).size() == 3);

    long start = System.nanoTime();
    x.kill();
    x.kill();
    ExecResult r = result(x);

    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the result came late");
    assertEquals(128 + 15, r.exitCode(), "killed by SIGTERM");
    assertEquals(Fileset.empty(), r.outputs(), "a killed exec's files are not collected");
    assertEquals(List.of(), processesWith(marker));
    assertFalse(Files.exists(x.sandbox()));
  }

  @Test
  void whatACommandLeavesRunningIsKilledWhenItExits() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")),
        "processes re-parented away from the exec are found through /proc");
    String marker = marker();
    // The background sleep outlives the shell, is re-parented, and holds standard output open.
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of(),
        "sleep " + marker + " & echo left it running"));

    ExecResult r = result(x);

    assertEquals(0, r.exitCode());
    assertEquals("left it running\n", r.stdout());
    assertEquals(List.of(), processesWith(marker));
  }

  @Test
  void killEndsAChildThatDroppedTheMarkerAndLeftTheExecsTree() throws Exception {
    String marker = marker();
    Path pids = tmp.resolve("pids");
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of("PIDS", pids.toString()),
        LocalFixtures.detachedChild(marker, false) + "; sleep " + marker));
    ProcessHandle child = LocalFixtures.detached(pids);

    x.kill();
    ExecResult r = result(x);

    assertEquals(128 + 15, r.exitCode(), "killed by SIGTERM");
    assertFalse(ProcessTree.running(child), "the detached child " + child.pid() + " still runs");
    assertEquals(List.of(), processesWith(marker));
  }

  @Test
  void whatACommandLeavesRunningWithoutTheMarkerIsKilledWhenItExits() throws Exception {
    String marker = marker();
    Path pids = tmp.resolve("pids");
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of("PIDS", pids.toString()),
        LocalFixtures.detachedChild(marker, false) + "; while [ ! -e \"$PIDS\" ]; do sleep 0.05;"
            + " done; echo left it running"));

    ExecResult r = result(x);

    assertEquals(0, r.exitCode());
    assertEquals("left it running\n", r.stdout());
    assertEquals(List.of(), processesWith(marker), "the detached child still runs");
  }

  @Test
  void withoutCgroupsTheSessionStillHoldsAChildThatDroppedTheMarker() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "sessions are found through /proc");
    String marker = marker();
    Path pids = tmp.resolve("pids");
    try (LocalCluster plain = LocalCluster.newBuilder().cpu(1).memory(Resources.GiB)
        .workDir(tmp.resolve("plain")).withoutCgroups().build()) {
      LocalAlloc a = (LocalAlloc) plain.allocate(
          new Requirements(Resources.of(Resources.CPU, 1), 0), Labels.empty())
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertFalse(a.confined());
      LocalExec x = (LocalExec) a.start(request(Fileset.empty(), Map.of("PIDS", pids.toString()),
          LocalFixtures.detachedChild(marker, false) + "; sleep " + marker));
      ProcessHandle child = LocalFixtures.detached(pids);

      x.kill();
      result(x);

      assertFalse(ProcessTree.running(child), "the detached child " + child.pid() + " still runs");
      assertEquals(List.of(), processesWith(marker));
    }
  }

  @Test
  void killEndsAChildThatStartedItsOwnSessionWhereTheExecHasACgroup() throws Exception {
    assumeTrue(alloc.confined(), "only a cgroup holds a process that leaves its session");
    String marker = marker();
    Path pids = tmp.resolve("pids");
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of("PIDS", pids.toString()),
        LocalFixtures.detachedChild(marker, true) + "; sleep " + marker));
    ProcessHandle child = LocalFixtures.detached(pids);

    x.kill();
    result(x);

    assertFalse(ProcessTree.running(child), "the detached child " + child.pid() + " still runs");
    assertEquals(List.of(), processesWith(marker));
  }

  @Test
  void aCommandThatCannotStartFailsAtOnceAndLeavesNoSandbox() {
    ExecRequest missing = new ExecRequest("t8.0", "missing",
        ExecConfig.of("no-such-program-" + marker()), Resources.empty(), Fileset.empty());

    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> alloc.start(missing));

    assertTrue(e.getMessage().contains("could not start [no-such-program-"), e.getMessage());
    assertEquals(List.of(), contents(alloc.dir().resolve("execs")));
  }

  @Test
  void anInputInsideOutIsRefused() {
    FileRef data = put(alloc.repository(), "x");
    ExecRequest r = request(Fileset.of(Map.of("out/x.txt", data)), Map.of(), "true");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> alloc.start(r));

    assertEquals("input out/x.txt lies inside out/, where the exec's outputs are collected",
        e.getMessage());
  }

  @Test
  void freeKillsWhatRunsAndNothingStartsAfterwards() throws Exception {
    String marker = marker();
    LocalExec x = (LocalExec) alloc.start(request(Fileset.empty(), Map.of(), "sleep " + marker));
    await().atMost(WAIT).until(() -> !processesWith(marker).isEmpty());

    alloc.free().get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertTrue(x.result().isDone());
    assertEquals(List.of(), processesWith(marker));
    assertFalse(Files.exists(alloc.dir()));
    assertThrows(AllocLostException.class,
        () -> alloc.start(request(Fileset.empty(), Map.of(), "true")));
  }

  @Test
  void aKilledAllocLosesItsExecs() throws Exception {
    String marker = marker();
    Alloc a = alloc;
    LocalExec x = (LocalExec) a.start(request(Fileset.empty(), Map.of(), "sleep " + marker));
    await().atMost(WAIT).until(() -> !processesWith(marker).isEmpty());

    cluster.kill(a.id());

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> x.result().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(AllocLostException.class, e.getCause());
    assertEquals("alloc local-1 is dead (killed by LocalCluster.kill); exec t7.0 was killed with it",
        e.getCause().getMessage());
    assertEquals(List.of(), processesWith(marker));
    assertFalse(Files.exists(x.sandbox()));
  }
}
