package org.stowage.cli;

import static org.stowage.cli.Messages.quote;
import static org.stowage.cli.Units.parseBytes;
import static org.stowage.cli.Units.parseDuration;
import static org.stowage.cli.Workload.DEFAULT_RESOURCES;
import static org.stowage.cli.Workload.RESERVED_NAMES;

import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.stowage.cli.Workload.Spec;
import org.stowage.repository.FileRef;
import org.stowage.repository.Fileset;
import org.stowage.scheduler.Resources;

/**
 * Checks a workload file's JSON tree against the format (see the package comment) and makes the
 * tasks' specs, collecting every problem, each named by the path of the entry and field it
 * concerns, such as {@code tasks[3].resources.cpu}. Input paths are resolved against the workload
 * file's directory and must name readable regular files; unless inputs may leave it, they must
 * also lie under that directory.
 *
 * <p>Thread-safety: not thread-safe; one checker checks one tree.
 */
final class WorkloadChecker {
  private static final List<String> TOP_FIELDS = List.of("description", "env", "tasks");
  private static final List<String> TASK_FIELDS =
      List.of("name", "command", "resources", "priority", "timeout", "env", "inputs");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  /** A key written after a dot in an entry's path; any other is written in brackets. */
  private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final String MOST_BYTES = "; the most is 8EiB";
  private static final String OUTSIDE_HINT =
      "; inputs must lie under it unless --allow-outside-inputs is given";
  private static final FileRef ANY_FILE = FileRef.of(new byte[0]);

  private final Path base;
  private final boolean inputsMayLeave;
  private final List<String> problems = new ArrayList<>();
  private @Nullable Path realBase;

  /**
   * A checker of the workload file in directory {@code base}, an absolute and normal path, whose
   * input files may lie outside {@code base} if {@code inputsMayLeave}.
   */
  WorkloadChecker(Path base, boolean inputsMayLeave) {
    this.base = base;
    this.inputsMayLeave = inputsMayLeave;
  }

  /** Returns the problems found so far, each {@code <entry path>: <what is wrong>}, in order. */
  List<String> problems() {
    return problems;
  }

  /** Checks the workload's tree and returns the specs of its tasks without problems. */
  List<Spec> check(JsonNode root) {
    JsonNode tasks;
    Map<String, String> commonEnv = Map.of();
    if (root.isArray()) {
      tasks = root;
    } else if (root.isObject()) {
      unknownFields(root, "", TOP_FIELDS);
      if (root.has("env")) {
        commonEnv = env(root.get("env"), "env");
      }
      tasks = root.get("tasks");
      if (tasks == null) {
        problem("tasks", "is missing: a workload lists its tasks under \"tasks\"");
        return List.of();
      }
    } else {
      problem("workload", "must be an object with a \"tasks\" list but was " + brief(root));
      return List.of();
    }
    if (!tasks.isArray()) {
      problem("tasks", "must be a list of tasks but was " + brief(tasks));
      return List.of();
    }
    if (tasks.isEmpty()) {
      problem("tasks", "must not be empty");
    }
    List<Spec> specs = new ArrayList<>();
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < tasks.size(); i++) {
      Spec spec = task(tasks.get(i), "tasks[" + i + "]", commonEnv);
      if (spec == null) {
        continue;
      }
      Integer earlier = names.putIfAbsent(spec.name(), i);
      if (earlier != null) {
        problem("tasks[" + i + "].name", "\"" + spec.name() + "\" is already the name of tasks["
            + earlier + "]");
      }
      specs.add(spec);
    }
    return specs;
  }

  private @Nullable Spec task(JsonNode node, String at, Map<String, String> commonEnv) {
    if (!node.isObject()) {
      problem(at, "must be an object but was " + brief(node));
      return null;
    }
    int before = problems.size();
    unknownFields(node, at, TASK_FIELDS);
    String name = name(node.get("name"), at + ".name");
    List<String> command = command(node.get("command"), at + ".command");
    Resources resources = node.has("resources")
        ? resources(node.get("resources"), at + ".resources") : DEFAULT_RESOURCES;
    int priority = 0;
    JsonNode p = node.get("priority");
    if (p != null) {
      if (p.isIntegralNumber() && p.canConvertToInt()) {
        priority = p.intValue();
      } else if (p.isIntegralNumber()) {
        problem(at + ".priority", (p.bigIntegerValue().signum() > 0 ? "is too large: "
            : "is too small: ") + brief(p) + "; a priority lies between " + Integer.MIN_VALUE
            + " and " + Integer.MAX_VALUE);
      } else {
        problem(at + ".priority", "must be a whole number but was " + brief(p));
      }
    }
    Duration timeout = null;
    JsonNode t = node.get("timeout");
    if (t != null) {
      timeout = timeout(t, at + ".timeout");
    }
    Map<String, String> env = new LinkedHashMap<>(commonEnv);
    if (node.has("env")) {
      env.putAll(env(node.get("env"), at + ".env"));
    }
    Map<String, Path> inputs = node.has("inputs")
        ? inputs(node.get("inputs"), at + ".inputs") : Map.of();
    if (problems.size() > before || name == null || command == null) {
      return null;
    }
    return new Spec(name, command, env, resources, priority, timeout, inputs);
  }

  private @Nullable String name(@Nullable JsonNode node, String at) {
    if (node == null) {
      problem(at, "is missing: every task needs a name, which also names its output directory");
      return null;
    }
    if (!node.isTextual() || !NAME.matcher(node.textValue()).matches()) {
      problem(at, "must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or"
          + " digit, but was " + brief(node));
      return null;
    }
    if (RESERVED_NAMES.contains(node.textValue())) {
      problem(at, "\"" + node.textValue() + "\" is reserved for the output directory's own "
          + RESERVED_NAMES);
      return null;
    }
    return node.textValue();
  }

  private @Nullable List<String> command(@Nullable JsonNode node, String at) {
    if (node == null) {
      problem(at, "is missing");
      return null;
    }
    if (node.isTextual()) {
      if (node.textValue().isBlank()) {
        problem(at, "must not be empty");
        return null;
      }
      if (node.textValue().indexOf('\0') >= 0) {
        problem(at, "must not contain a NUL character but was " + quote(node.textValue()));
        return null;
      }
      return List.of("sh", "-c", node.textValue());
    }
    if (node.isArray() && !node.isEmpty()) {
      List<String> argv = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        JsonNode arg = node.get(i);
        if (!arg.isTextual()) {
          problem(at + "[" + i + "]", "must be a string but was " + brief(arg));
          return null;
        }
        if (arg.textValue().indexOf('\0') >= 0) {
          problem(at + "[" + i + "]", "must not contain a NUL character but was "
              + quote(arg.textValue()));
          return null;
        }
        if (i == 0 && arg.textValue().isEmpty()) {
          problem(at + "[0]", "the program must not be empty");
          return null;
        }
        argv.add(arg.textValue());
      }
      return argv;
    }
    problem(at, "must be a shell command (a string, run with sh -c) or a non-empty list of"
        + " strings (program and arguments) but was " + brief(node));
    return null;
  }

  private Resources resources(JsonNode node, String at) {
    if (!node.isObject()) {
      problem(at, "must be an object such as {\"cpu\": 1, \"mem\": \"512MiB\"} but was "
          + brief(node));
      return DEFAULT_RESOURCES;
    }
    Map<String, Double> amounts = new HashMap<>(DEFAULT_RESOURCES.amounts());
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String field = field(at, e.getKey());
      JsonNode v = e.getValue();
      if (e.getKey().isEmpty()) {
        problem(field, "a resource needs a name");
      } else if (Resources.MEM.equals(e.getKey()) || Resources.DISK.equals(e.getKey())) {
        Long bytes = bytes(v, field);
        if (bytes != null) {
          amounts.put(e.getKey(), (double) bytes);
        }
      } else if (!v.isNumber()) {
        problem(field, "must be a number but was " + brief(v));
      } else if (v.doubleValue() < 0) {
        problem(field, "must be >= 0 but was " + brief(v));
      } else if (Double.isInfinite(v.doubleValue())) {
        problem(field, "is too large: " + brief(v));
      } else {
        amounts.put(e.getKey(), v.doubleValue());
      }
    }
    return new Resources(amounts);
  }

  private @Nullable Long bytes(JsonNode node, String at) {
    if (node.isNumber() && node.doubleValue() < 0) {
      problem(at, "must be >= 0 but was " + brief(node));
      return null;
    }
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node.longValue();
    }
    if (node.isIntegralNumber() || node.isNumber() && Double.isInfinite(node.doubleValue())) {
      problem(at, "is too large: " + brief(node) + MOST_BYTES);
      return null;
    }
    if (node.isTextual()) {
      try {
        return parseBytes(node.textValue());
      } catch (IllegalArgumentException e) {
        problem(at, e.getMessage());
        return null;
      }
    }
    problem(at, "must be a size such as \"512MiB\" or a whole number of bytes but was "
        + brief(node));
    return null;
  }

  private @Nullable Duration timeout(JsonNode node, String at) {
    if (!node.isTextual()) {
      problem(at, "must be a duration such as \"90s\" but was " + brief(node));
      return null;
    }
    try {
      Duration d = parseDuration(node.textValue());
      if (d.isZero() || d.isNegative()) {
        problem(at, "must be > 0 but was " + node);
        return null;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problem(at, e.getMessage());
      return null;
    }
  }

  private Map<String, String> env(JsonNode node, String at) {
    if (!node.isObject()) {
      problem(at, "must be an object of names to strings but was " + brief(node));
      return Map.of();
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String name = e.getKey();
      String bad = name.isEmpty() ? "must not be empty"
          : name.indexOf('=') >= 0 ? "must not contain '='"
          : name.indexOf('\0') >= 0 ? "must not contain a NUL character"
          : null;
      if (bad != null) {
        problem(field(at, name), "an environment variable name " + bad);
      } else if (!e.getValue().isTextual()) {
        problem(field(at, name), "must be a string but was " + brief(e.getValue()));
      } else if (e.getValue().textValue().indexOf('\0') >= 0) {
        // The value is not shown: it may be a secret.
        problem(field(at, name), "must not contain a NUL character");
      } else {
        env.put(e.getKey(), e.getValue().textValue());
      }
    }
    return env;
  }

  private Map<String, Path> inputs(JsonNode node, String at) {
    if (!node.isObject()) {
      problem(at, "must be an object mapping sandbox paths to files, such as"
          + " {\"in/words.txt\": \"data/words.txt\"}, but was " + brief(node));
      return Map.of();
    }
    Map<String, Path> inputs = new TreeMap<>();
    Map<String, FileRef> check = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String field = at + "[" + quote(e.getKey()) + "]";
      String sandboxPath = e.getKey();
      try {
        Fileset.of(Map.of(sandboxPath, ANY_FILE));
      } catch (IllegalArgumentException x) {
        problem(field, "the sandbox path " + x.getMessage().replaceFirst("^path ", ""));
        continue;
      }
      if (sandboxPath.equals("out") || sandboxPath.startsWith("out/")) {
        problem(field, "the sandbox path must not lie inside out/, where outputs are collected");
        continue;
      }
      if (!e.getValue().isTextual()) {
        problem(field, "must be the path of a file, relative to the workload file, but was "
            + brief(e.getValue()));
        continue;
      }
      String text = e.getValue().textValue();
      Path file;
      try {
        if (!inputsMayLeave && Path.of(text).isAbsolute()) {
          problem(field, quote(text) + " is an absolute path, not one relative to the workload's"
              + " directory (" + base + ")" + OUTSIDE_HINT);
          continue;
        }
        file = base.resolve(text).normalize();
      } catch (InvalidPathException x) {
        problem(field, "is not a valid path: " + quote(text) + " (" + x.getReason() + ")");
        continue;
      }
      if (!inputsMayLeave && !file.startsWith(base)) {
        problem(field, quote(text) + " leads outside the workload's directory (" + base + ")"
            + OUTSIDE_HINT);
      } else if (!Files.isRegularFile(file)) {
        problem(field, "no such file: " + text + " (" + file + ")");
      } else if (!Files.isReadable(file)) {
        problem(field, "cannot read " + file);
      } else {
        Path real;
        try {
          // Keep the resolved path: the file read later is then the one checked here.
          real = file.toRealPath();
        } catch (IOException x) {
          problem(field, "cannot read " + file + ": " + x);
          continue;
        }
        if (!inputsMayLeave && !real.startsWith(realBase())) {
          problem(field, quote(text) + " resolves through a symbolic link to " + real
              + ", outside the workload's directory (" + base + ")" + OUTSIDE_HINT);
          continue;
        }
        inputs.put(sandboxPath, real);
        check.put(sandboxPath, ANY_FILE);
      }
    }
    try {
      Fileset.of(check);
    } catch (IllegalArgumentException x) {
      problem(at, x.getMessage());
    }
    return inputs;
  }

  /** The workload's directory with every symbolic link resolved, as far as it can be. */
  private Path realBase() {
    if (realBase == null) {
      try {
        realBase = base.toRealPath();
      } catch (IOException e) {
        realBase = base;
      }
    }
    return realBase;
  }

  private void unknownFields(JsonNode node, String at, List<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        problem(field(at, name), "unknown field; the known fields are "
            + String.join(", ", known));
      }
    }
  }

  /**
   * Returns where the parser is, in the form of the workload's problems: {@code tasks[1].env.SEED}
   * or {@code tasks[0].inputs["in/x"]}. A bare list of tasks is called {@code tasks} too.
   */
  static String entry(JsonStreamContext context) {
    Deque<String> parts = new ArrayDeque<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
        if (c.getParent() != null && c.getParent().inRoot()) {
          parts.push("tasks");
        }
      } else if (c.getCurrentName() != null) {
        String key = c.getCurrentName();
        JsonStreamContext parent = c.getParent();
        boolean top = parent != null && parent.inRoot();
        boolean input = parent != null && "inputs".equals(parent.getCurrentName());
        parts.push(top ? key
            : !input && KEY.matcher(key).matches() ? "." + key : "[" + quote(key) + "]");
      }
    }
    return String.join("", parts);
  }

  /** Returns the path of {@code key} in the object at {@code at}, as problems name it. */
  private static String field(String at, String key) {
    if (at.isEmpty()) {
      return KEY.matcher(key).matches() ? key : "[" + quote(key) + "]";
    }
    return KEY.matcher(key).matches() ? at + "." + key : at + "[" + quote(key) + "]";
  }

  private void problem(String at, String what) {
    problems.add(at + ": " + what);
  }

  private static String brief(JsonNode node) {
    String text = node.toString();
    String kind = node.getNodeType().name().toLowerCase(Locale.ROOT);
    return text.length() > 40 ? kind + " " + text.substring(0, 37) + "..." : text;
  }
}
