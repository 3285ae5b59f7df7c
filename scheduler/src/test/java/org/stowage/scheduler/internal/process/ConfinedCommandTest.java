package org.stowage.scheduler.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an exec's command line is wrapped, and how its program is looked up before it starts. */
class ConfinedCommandTest {

  @TempDir Path tmp;

  private Path executable(Path p) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, "#!/bin/sh\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  @Test
  void wrapsTheProgramInSetsidThenTheShellThatJoinsTheCgroup() {
    List<String> line = ConfinedCommand.wrap("/usr/bin/setsid", "/cg/x/cgroup.procs", "sort",
        List.of("-u", "in.txt"));

    assertEquals(List.of("/usr/bin/setsid", "/bin/sh", "-c"), line.subList(0, 3));
    assertEquals(List.of("stowage-exec", "/cg/x/cgroup.procs", "sort", "-u", "in.txt"),
        line.subList(4, line.size()));
    assertEquals(List.of("sort", "-u"), ConfinedCommand.wrap(null, null, "sort", List.of("-u")));
  }

  @Test
  void looksTheProgramUpOnTheJvmsPathFirstMatchWinsAndAnEmptyEntryIsTheWorkingDirectory()
      throws IOException {
    Path a = executable(tmp.resolve("a/tool"));
    executable(tmp.resolve("b/tool"));
    Files.createDirectories(tmp.resolve("c"));
    Files.writeString(tmp.resolve("c/tool"), "not executable");
    Path here = executable(tmp.resolve("work/local-tool"));
    String path = tmp.resolve("c") + ":" + tmp.resolve("a") + ":" + tmp.resolve("b") + ":";

    assertEquals(a, ConfinedCommand.find("tool", tmp.resolve("work"), path),
        "a file that is not executable is skipped");
    assertEquals(here, ConfinedCommand.find("local-tool", tmp.resolve("work"), path));
    assertEquals(here, ConfinedCommand.find("./local-tool", tmp.resolve("work"), "/nowhere")
        .normalize(),
        "a name with a slash is a path from the working directory");
  }

  @Test
  void aProgramThatIsNotFoundFailsBeforeAnythingStarts() {
    IOException e = assertThrows(IOException.class,
        () -> ConfinedCommand.find("no-such-tool", tmp, tmp.toString()));
    assertEquals("program no-such-tool is not on the PATH " + tmp, e.getMessage());

    IOException d = assertThrows(IOException.class,
        () -> ConfinedCommand.find("./bin", tmp, tmp.toString()));
    assertEquals("program ./bin is not an executable file", d.getMessage());
  }

  @Test
  void anExecWithAPathOfItsOwnRunsTheProgramTheJvmFound() throws IOException {
    List<String> same = ConfinedCommand.of(List.of("sh", "-c", "true"), tmp, Map.of(), null);
    List<String> own = ConfinedCommand.of(List.of("sh", "-c", "true"), tmp,
        Map.of("PATH", tmp.toString()), null);

    if (ConfinedCommand.startsSessions()) {
      assertEquals("sh", same.get(1), "the name is kept when the exec searches the same PATH");
      assertEquals(ConfinedCommand.find("sh", tmp, System.getenv("PATH")).toString(), own.get(1));
    } else {
      assertEquals(List.of("sh", "-c", "true"), same);
      assertEquals(List.of("sh", "-c", "true"), own);
    }
  }
}
