package org.stowage.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The stowage command, run in-process on real workload files. */
class MainTest {

  /** The example shipped in the repository; tests run in the cli module's directory. */
  private static final Path DEMO = Path.of("..", "examples", "demo", "workload.json");

  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  @Timeout(120)
  void runsTheShippedDemoAndLeavesEveryTasksOutputsOnDisk() throws Exception {
    assertTrue(Files.isRegularFile(DEMO), DEMO.toAbsolutePath() + " is missing");
    Path results = tmp.resolve("results");
    Path stats = tmp.resolve("stats.json");

    int code = run("run", DEMO.toString(), "--out", results.toString(), "--stats-json",
        stats.toString());

    assertEquals(Main.OK, code, () -> out() + err());
    JsonNode workload = new ObjectMapper().readTree(DEMO.toFile());
    int tasks = workload.get("tasks").size();
    assertTrue(tasks >= 24, "a few dozen tasks, not " + tasks);
    for (JsonNode task : workload.get("tasks")) {
      Path dir = results.resolve(task.get("name").textValue());
      assertTrue(Files.isDirectory(dir) && Files.list(dir).findAny().isPresent(),
          dir + " has no outputs");
      assertTrue(out().contains(dir.toString()), "the summary names " + dir);
    }
    // One output checked against its meaning: the distinct words of the text, in byte order.
    String text = Files.readString(DEMO.resolveSibling("data/harbour.txt"));
    TreeSet<String> words = new TreeSet<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    assertEquals(String.join("\n", words) + "\n",
        Files.readString(results.resolve("harbour-vocabulary/vocabulary.txt")));

    JsonNode json = new ObjectMapper().readTree(stats.toFile());
    assertEquals(tasks, json.get("tasks").intValue());
    assertEquals(tasks, json.get("succeeded").intValue());
    assertEquals(0, json.get("failed").intValue());
    assertTrue(json.get("allocsUsed").intValue() >= 1);
    assertEquals(tasks, json.get("scheduler").get("counts").get("submitted").intValue());
    assertEquals(tasks, json.get("scheduler").get("counts").get("succeeded").intValue());
    assertTrue(out().contains("tasks        " + tasks + " done, 0 failed"), out());
    assertTrue(Files.isRegularFile(results.resolve("stowage.log")));
  }

  @Test
  @Timeout(30)
  void aBadWorkloadIsRefusedWithExitCode2NamingEveryEntryAndFieldAtFault() throws Exception {
    Files.writeString(tmp.resolve("a.txt"), "a\n");
    Path workload = tmp.resolve("bad.json");
    Files.writeString(workload, """
        {"tasks": [
          {"name": "ok", "command": "true", "inputs": {"in/a.txt": "a.txt"}},
          {"name": "ok", "command": "true"},
          {"name": "two", "command": "true", "resources": {"cpu": 1}},
          {"name": "three", "command": "true", "resources": {"cpu": -1, "mem": "12 parsecs"}},
          {"command": ["sort", 3], "timeout": "soon", "inputs": {"in/b.txt": "missing.txt"}},
          {"name": "six", "comand": "true"}
        ]}
        """);
    Path results = tmp.resolve("results");

    int code = run("run", workload.toString(), "--out", results.toString());

    assertEquals(Main.USAGE, code);
    List<String> expected = new ArrayList<>(List.of(
        "tasks[1].name: \"ok\" is already the name of tasks[0]",
        "tasks[3].resources.cpu: must be >= 0 but was -1",
        "tasks[3].resources.mem: must be a size such as 512MiB or 4GiB",
        "tasks[4].name: is missing",
        "tasks[4].command[1]: must be a string but was 3",
        "tasks[4].timeout: must be a duration such as 500ms, 90s, 5m, 1h or PT90S but was \"soon\"",
        "tasks[4].inputs[\"in/b.txt\"]: no such file: missing.txt",
        "tasks[5].comand: unknown field; the known fields are name, command, resources,"
            + " priority, timeout, env, inputs",
        "tasks[5].command: is missing"));
    for (String problem : expected) {
      assertTrue(err().contains(problem), () -> "no \"" + problem + "\" in:\n" + err());
    }
    assertFalse(err().contains("tasks[0]."), err());
    assertFalse(err().contains("tasks[2]."), err());
    assertFalse(Files.exists(results), "nothing runs, nothing is written");
  }

  @Test
  @Timeout(30)
  void aCommandOrEnvironmentNoProcessCanTakeIsAWorkloadProblem() throws Exception {
    Path workload = tmp.resolve("nul.json");
    Files.writeString(workload, """
        {"env": {"LANG": "C\\u0000"},
         "tasks": [
          {"name": "a", "command": ["echo", "x\\u0000y"], "env": {"SEED": "7\\u0000"}},
          {"name": "b", "command": ["", "x"]},
          {"name": "c", "command": "echo \\u0000"}
        ]}
        """);
    Path results = tmp.resolve("results");

    int code = run("run", workload.toString(), "--out", results.toString());

    assertEquals(Main.USAGE, code, this::err);
    for (String problem : List.of(
        "env.LANG: must not contain a NUL character",
        "tasks[0].command[1]: must not contain a NUL character but was \"x\\u0000y\"",
        "tasks[0].env.SEED: must not contain a NUL character",
        "tasks[1].command[0]: the program must not be empty",
        "tasks[2].command: must not contain a NUL character")) {
      assertTrue(err().contains(problem), () -> "no \"" + problem + "\" in:\n" + err());
    }
    assertFalse(Files.exists(results), "nothing runs, nothing is written");
  }

  @Test
  @Timeout(30)
  void aBadEnvironmentVariableNameIsShownWithWhatIsWrongWithIt() throws Exception {
    Path workload = tmp.resolve("env.json");
    Files.writeString(workload, """
        [{"name": "a", "command": "env", "env": {"": "x", "A=B": "y", "A\\u0000B": "z"}}]
        """);

    assertEquals(Main.USAGE, run("run", workload.toString(), "--out",
        tmp.resolve("results").toString()));

    for (String problem : List.of(
        "tasks[0].env[\"\"]: an environment variable name must not be empty",
        "tasks[0].env[\"A=B\"]: an environment variable name must not contain '='",
        "tasks[0].env[\"A\\u0000B\"]: an environment variable name must not contain a NUL")) {
      assertTrue(err().contains(problem), () -> "no \"" + problem + "\" in:\n" + err());
    }
  }

  @Test
  @Timeout(30)
  void anInputPathTheFileSystemCannotTakeIsAWorkloadProblem() throws Exception {
    Path workload = tmp.resolve("path.json");
    Files.writeString(workload, """
        [{"name": "a", "command": "cat in/x", "inputs": {"in/x": "data/x\\u0000.txt"}}]
        """);

    int code = run("run", workload.toString());

    assertEquals(Main.USAGE, code, this::err);
    assertTrue(err().contains("tasks[0].inputs[\"in/x\"]: is not a valid path:"
        + " \"data/x\\u0000.txt\""), err());
  }

  @Test
  @Timeout(60)
  void inputsFromOutsideTheWorkloadsDirectoryAreRefusedUnlessAllowed() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("work"));
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "secret\n");
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/a.txt"), "a\n");
    Files.createSymbolicLink(dir.resolve("data/link.txt"), secret);
    Files.createSymbolicLink(dir.resolve("data/near.txt"), dir.resolve("data/a.txt"));
    Files.createSymbolicLink(dir.resolve("elsewhere"), tmp);
    Path workload = dir.resolve("w.json");
    Files.writeString(workload, """
        [{"name": "t", "command": "cat in/* > out/all.txt",
          "inputs": {"in/1": "../secret.txt", "in/2": "%s", "in/3": "data/link.txt",
                     "in/4": "elsewhere/secret.txt", "in/5": "data/../data/a.txt",
                     "in/6": "data/near.txt"}}]
        """.formatted(secret));
    Path results = tmp.resolve("results");

    assertEquals(Main.USAGE, run("run", workload.toString(), "--out", results.toString()));

    for (String problem : List.of(
        "tasks[0].inputs[\"in/1\"]: \"../secret.txt\" leads outside the workload's directory",
        "tasks[0].inputs[\"in/2\"]: \"" + secret + "\" is an absolute path",
        "tasks[0].inputs[\"in/3\"]: \"data/link.txt\" resolves through a symbolic link to "
            + secret.toRealPath() + ", outside the workload's directory",
        "tasks[0].inputs[\"in/4\"]: \"elsewhere/secret.txt\" resolves through a symbolic link",
        "inputs must lie under it unless --allow-outside-inputs is given")) {
      assertTrue(err().contains(problem), () -> "no \"" + problem + "\" in:\n" + err());
    }
    // A path that leaves and comes back, and a link that stays inside, are fine.
    assertFalse(err().contains("in/5"), err());
    assertFalse(err().contains("in/6"), err());
    assertFalse(Files.exists(results), "nothing runs, nothing is written");

    assertEquals(Main.OK, run("run", workload.toString(), "--out", results.toString(),
        "--allow-outside-inputs", "--cpu", "1", "--mem", "1GiB"), this::err);
    assertEquals("secret\nsecret\nsecret\nsecret\na\na\n",
        Files.readString(results.resolve("t/all.txt")));
    assertEquals(Main.OK, run("--help"));
    assertTrue(out().contains("--allow-outside-inputs"), out());
  }

  @Test
  @Timeout(30)
  void aKeyGivenTwiceInOneObjectIsRefusedNamingTheKeyAndItsEntry() throws Exception {
    Files.writeString(tmp.resolve("a.txt"), "a\n");
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{\"tasks\": [{\"name\": \"a\", \"command\": \"true\", \"name\": \"b\"}]}",
        "tasks[0].name: \"name\" is given twice in one object (line 1, column ");
    cases.put("[{\"name\": \"a\", \"command\": \"true\"},\n"
            + " {\"name\": \"b\", \"command\": \"true\",\n"
            + "  \"env\": {\"SEED\": \"1\", \"SEED\": \"2\"}}]",
        "tasks[1].env.SEED: \"SEED\" is given twice in one object (line 3, column ");
    cases.put("[{\"name\": \"a\", \"command\": \"true\",\n"
            + " \"inputs\": {\"in/x\": \"a.txt\", \"in/x\": \"a.txt\"}}]",
        "tasks[0].inputs[\"in/x\"]: \"in/x\" is given twice in one object (line 2, column ");
    cases.put("{\"tasks\": [{\"name\": \"a\", \"command\": \"true\"}], \"tasks\": []}",
        "tasks: \"tasks\" is given twice in one object (line 1, column ");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path workload = Files.writeString(tmp.resolve("twice.json"), c.getKey());
      err.reset();
      Path results = tmp.resolve("results");
      assertEquals(Main.USAGE, run("run", workload.toString(), "--out", results.toString()),
          c::getKey);
      assertFalse(Files.exists(results), "nothing runs, nothing is written");
      assertTrue(err().contains("\n  " + c.getValue()),
          () -> "no \"" + c.getValue() + "\" in:\n" + err());
    }
  }

  @Test
  @Timeout(30)
  void aNumberTooLargeToUseIsCalledTooLargeNotNegative() throws Exception {
    String huge = "1" + "0".repeat(400);
    Path workload = tmp.resolve("huge.json");
    Files.writeString(workload, """
        [{"name": "a", "command": "true",
          "resources": {"cpu": 1e400, "gpu": %s, "mem": 100000000000000000000, "disk": 1e400}},
         {"name": "b", "command": "true", "resources": {"cpu": -1e400}, "priority": 99999999999}]
        """.formatted(huge));
    Path results = tmp.resolve("results");

    assertEquals(Main.USAGE, run("run", workload.toString(), "--out", results.toString()));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--cpu", "1e400"));

    for (String problem : List.of(
        "tasks[0].resources.cpu: is too large: 1E+400",
        "tasks[0].resources.gpu: is too large: number 1000000000000000000000000000000000000...",
        "tasks[0].resources.mem: is too large: 100000000000000000000; the most is 8EiB",
        "tasks[0].resources.disk: is too large: 1E+400; the most is 8EiB",
        "tasks[1].resources.cpu: must be >= 0 but was -1E+400",
        "tasks[1].priority: is too large: 99999999999; a priority lies between -2147483648 and"
            + " 2147483647",
        "--cpu is too large: 1e400")) {
      assertTrue(err().contains(problem), () -> "no \"" + problem + "\" in:\n" + err());
    }
    assertFalse(err().contains("must be >= 0 but was Infinity"), err());
    assertFalse(Files.exists(results), "nothing runs, nothing is written");
  }

  @Test
  @Timeout(30)
  void aJsonSyntaxErrorSaysWhere() throws Exception {
    Path workload = tmp.resolve("broken.json");
    Files.writeString(workload, "{\"tasks\": [\n  {\"name\": \"a\",, }\n]}\n");

    assertEquals(Main.USAGE, run("run", workload.toString()));

    assertTrue(err().contains("line 2, column"), err());
  }

  @Test
  @Timeout(60)
  void aFailedTaskMakesTheExitCode1AndTheSummarySaysWhy() throws Exception {
    Path workload = tmp.resolve("mixed.json");
    Files.writeString(workload, """
        [
          {"name": "fine", "command": "echo fine > out/fine.txt",
           "resources": {"cpu": 0.5, "mem": "64MiB"}},
          {"name": "broken", "command": "echo 'no such thing' >&2; exit 3",
           "resources": {"cpu": 0.5, "mem": "64MiB"}}
        ]
        """);
    Path results = tmp.resolve("results");

    int code = run("run", workload.toString(), "--out", results.toString(), "--cpu", "1",
        "--mem", "1GiB");

    assertEquals(Main.FAILED, code, () -> out() + err());
    assertEquals("fine\n", Files.readString(results.resolve("fine/fine.txt")));
    assertFalse(Files.exists(results.resolve("broken")));
    assertTrue(out().contains("tasks        1 done, 1 failed, of 2"), out());
    assertTrue(out().contains("exited with code 3"), out());
    assertTrue(out().contains("stderr: no such thing"), out());
    assertTrue(err().contains("on {cpu:1 mem:1GiB}"), err());
  }

  @Test
  @Timeout(60)
  void aTaskThatFitsTheMachineButNotTheLiveAllocRunsOnceThatAllocIsIdle() throws Exception {
    // The first alloc takes all the cpu and 2GiB; "wide" needs 3GiB, so it needs an alloc of its
    // own, which the machine can give only once the first is freed.
    Path workload = tmp.resolve("shapes.json");
    Files.writeString(workload, """
        [
          {"name": "narrow-1", "command": "sleep 1", "resources": {"cpu": 1, "mem": "256MiB"}},
          {"name": "narrow-2", "command": "sleep 1", "resources": {"cpu": 1, "mem": "256MiB"}},
          {"name": "narrow-3", "command": "sleep 1", "resources": {"cpu": 1, "mem": "256MiB"}},
          {"name": "wide", "command": "echo wide > out/w.txt", "priority": 1,
           "resources": {"cpu": 0.5, "mem": "3GiB"}}
        ]
        """);
    Path results = tmp.resolve("results");

    // With the scheduler's default idle time (5 minutes) this would hit the test's timeout.
    int code = run("run", workload.toString(), "--out", results.toString(), "--cpu", "2",
        "--mem", "4GiB");

    assertEquals(Main.OK, code, () -> out() + err());
    assertEquals("wide\n", Files.readString(results.resolve("wide/w.txt")));
  }

  @Test
  void aWrongCommandLineGivesExitCode2AndTheUsage() throws Exception {
    Path workload = tmp.resolve("w.json");
    Files.writeString(workload, "[{\"name\": \"a\", \"command\": \"true\"}]");
    Files.writeString(tmp.resolve("full"), "");

    assertEquals(Main.USAGE, run());
    assertEquals(Main.USAGE, run("walk", workload.toString()));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--cpu", "0"));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--mem", "4GB"));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--fast"));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--out", tmp.toString()));
    assertEquals(Main.USAGE, run("run", workload.toString(), "--allow-outside-inputs=yes"));

    String e = err();
    assertTrue(e.contains("stowage: no command given"), e);
    assertTrue(e.contains("unknown command walk"), e);
    assertTrue(e.contains("--cpu must be a number > 0 but was 0"), e);
    assertTrue(e.contains("--mem must be a size such as 512MiB or 4GiB"), e);
    assertTrue(e.contains("unknown option --fast"), e);
    assertTrue(e.contains("is not empty"), e);
    assertTrue(e.contains("--allow-outside-inputs takes no value but was given yes"), e);
    assertTrue(e.contains("usage: java -jar stowage.jar run WORKLOAD.json"), e);
    assertEquals(Main.OK, run("--help"));
    assertTrue(out().startsWith("usage:"), out());
  }
}
