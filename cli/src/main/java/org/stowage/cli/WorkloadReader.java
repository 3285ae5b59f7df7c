package org.stowage.cli;

import static org.stowage.cli.Messages.quote;
import static org.stowage.cli.WorkloadChecker.entry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.stowage.cli.Workload.Invalid;
import org.stowage.cli.Workload.Spec;

/**
 * Reads a workload file: parses its JSON, reporting a syntax error or a key given twice where the
 * parser stopped, then has a {@link WorkloadChecker} check the tree, and reports the first
 * problems it found.
 *
 * <p>Thread-safety: stateless.
 */
final class WorkloadReader {
  /**
   * Reads JSON, refusing a key given twice in one object rather than keeping the last. Fractions
   * are kept as written (1e400 stays 1E+400, not Infinity), so that a message can show them.
   */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();
  /** The most problems reported of one file; the rest are counted. */
  private static final int MAX_PROBLEMS = 20;

  private WorkloadReader() {}

  /**
   * Reads and checks a workload file. Input paths are resolved against the file's directory and
   * must name readable regular files. Unless {@code inputsMayLeave}, they must also lie under that
   * directory: not absolute, not leading out of it with {@code ..}, and not through a symbolic
   * link to a file elsewhere.
   *
   * @param file the workload file
   * @param inputsMayLeave whether input files may lie outside the workload file's directory
   * @return the workload
   * @throws Invalid if the file cannot be read, is not JSON, or breaks a rule of the format
   */
  static Workload read(Path file, boolean inputsMayLeave) throws Invalid {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new Invalid(file, List.of("no such file"));
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      // The parser stops at the second of two equal keys, in the object that holds them.
      if (e.getOriginalMessage().startsWith("Duplicate field")
          && e.getProcessor() instanceof JsonParser parser
          && parser.getParsingContext().getCurrentName() != null) {
        String key = parser.getParsingContext().getCurrentName();
        throw new Invalid(file, List.of(entry(parser.getParsingContext()) + ": " + quote(key)
            + " is given twice in one object (" + where + "); give each key once"));
      }
      throw new Invalid(file, List.of((where.isEmpty() ? "" : where + ": ") + "not valid JSON: "
          + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new Invalid(file, List.of("cannot read it: " + e));
    }
    WorkloadChecker checker =
        new WorkloadChecker(file.toAbsolutePath().normalize().getParent(), inputsMayLeave);
    List<Spec> specs = checker.check(root);
    List<String> problems = checker.problems();
    if (!problems.isEmpty()) {
      List<String> shown =
          new ArrayList<>(problems.subList(0, Math.min(MAX_PROBLEMS, problems.size())));
      if (problems.size() > MAX_PROBLEMS) {
        shown.add("... and " + (problems.size() - MAX_PROBLEMS) + " more");
      }
      throw new Invalid(file, shown);
    }
    return new Workload(file, specs);
  }
}
