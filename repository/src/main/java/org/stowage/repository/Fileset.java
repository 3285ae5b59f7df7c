package org.stowage.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A set of files: relative paths, each naming a {@link FileRef}. Immutable; the map is sorted by
 * path, so iteration, {@code toString()} and JSON are stable.
 *
 * <p><b>Paths</b> are relative and use {@code /} between segments, for example
 * {@code in/a.txt}. A path must not be empty, start or end with {@code /}, have an empty
 * segment ({@code a//b}), a {@code .} or {@code ..} segment, a backslash or a NUL character. A
 * path must not also be a directory of another path ({@code a} and {@code a/b} together). These
 * rules guarantee that materializing a fileset under a directory stays inside it.
 *
 * <p><b>JSON</b> ({@link #toJson()}, {@link #fromJson(String)}): one object with one field,
 * {@code files}, mapping each path, in sorted order, to its digest (string form) and size in
 * bytes, a whole number. This format is stable:
 *
 * <pre>{@code
 * {"files":{"in/a.txt":{"digest":"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","size":3}}}
 * }</pre>
 *
 * <p>Reading JSON validates like the constructor; {@code digest} and {@code size} are required,
 * and no other field is allowed. {@link #fromJson} also refuses what could be read more than one
 * way: a key given twice in one object (a path, {@code digest}, {@code size} or {@code files}), a
 * size that is not written as an integer ({@code 1.5}, {@code 1e3}, {@code "3"}, {@code null}),
 * and anything after the object. A Jackson {@code ObjectMapper} of the caller's own writes the
 * same JSON and reads it, but only as strictly as it is configured: a default one keeps the last
 * of two equal keys and reads {@code 1.5} as 1 (enable
 * {@code JsonParser.Feature.STRICT_DUPLICATE_DETECTION} and disable
 * {@code DeserializationFeature.ACCEPT_FLOAT_AS_INT} for those two).
 *
 * <p>Immutable and thread-safe.
 *
 * @param files the files, by path; copied and sorted
 */
public record Fileset(@JsonProperty(value = "files", required = true) SortedMap<String, FileRef> files) {
  private static final Fileset EMPTY = new Fileset(new TreeMap<>());

  /**
   * Validates every path and copies the map.
   *
   * @param files the files, by path
   * @throws IllegalArgumentException if a path breaks the rules above; the message names it
   * @throws NullPointerException if {@code files} or any path or reference is null
   */
  public Fileset {
    TreeMap<String, FileRef> copy = new TreeMap<>();
    for (Map.Entry<String, FileRef> file : files.entrySet()) {
      String path = Objects.requireNonNull(file.getKey(), "files must not contain a null path");
      FileRef ref = Objects.requireNonNull(file.getValue(), () -> "file " + path + " is null");
      checkPath("path", path);
      copy.put(path, ref);
    }
    for (String path : copy.keySet()) {
      String dir = path + "/";
      String inside = copy.ceilingKey(dir);
      if (inside != null && inside.startsWith(dir)) {
        throw new IllegalArgumentException("path " + Messages.quote(path)
            + " is both a file and the directory of " + Messages.quote(inside));
      }
    }
    files = Collections.unmodifiableSortedMap(copy);
  }

  /**
   * Returns a fileset of the given files.
   *
   * @param files the files, by path
   * @return the fileset
   * @throws IllegalArgumentException if a path is invalid
   */
  public static Fileset of(Map<String, FileRef> files) {
    return new Fileset(new TreeMap<>(files));
  }

  /**
   * Returns the fileset with no files.
   *
   * @return the empty fileset
   */
  public static Fileset empty() {
    return EMPTY;
  }

  /**
   * Reads a fileset from its JSON (see the class comment), refusing JSON that could be read more
   * than one way.
   *
   * @param json the JSON text
   * @return the fileset
   * @throws IllegalArgumentException if {@code json} is not a fileset's JSON; the message names
   *     the key concerned and where it is, and echoes a refused value, for example
   *     {@code size in files["in/a.txt"] must be a whole number but was 1.5} or
   *     {@code fileset json has key "size" twice in files["in/a.txt"]; a key may be given once}
   */
  public static Fileset fromJson(String json) {
    return FilesetJson.read(Objects.requireNonNull(json, "json"));
  }

  /**
   * Returns this fileset's JSON (see the class comment).
   *
   * @return the JSON text, on one line
   */
  public String toJson() {
    return FilesetJson.write(this);
  }

  /**
   * Returns the distinct objects the files refer to.
   *
   * @return their digests, unmodifiable, in path order of first use
   */
  public Set<Digest> digests() {
    Set<Digest> digests = new LinkedHashSet<>();
    for (FileRef ref : files.values()) {
      digests.add(ref.digest());
    }
    return Collections.unmodifiableSet(digests);
  }

  /**
   * Returns the sum of the sizes of all files; an object used by two files counts twice.
   *
   * @return the total size in bytes
   */
  public long totalSize() {
    long total = 0;
    for (FileRef ref : files.values()) {
      total = Math.addExact(total, ref.size());
    }
    return total;
  }

  /**
   * Returns this fileset moved under directory {@code dir}: {@code a.txt} becomes
   * {@code dir/a.txt}. Used to mount a task's inputs under a name.
   *
   * @param dir a valid path (for example {@code in} or {@code inputs/ref})
   * @return the moved fileset
   * @throws IllegalArgumentException if {@code dir} is not a valid path
   */
  public Fileset prefixed(String dir) {
    checkPath("dir", dir);
    TreeMap<String, FileRef> moved = new TreeMap<>();
    files.forEach((path, ref) -> moved.put(dir + "/" + path, ref));
    return new Fileset(moved);
  }

  /**
   * Returns the files under directory {@code dir}, with {@code dir/} removed from their paths:
   * the reverse of {@link #prefixed(String)}. Used to pick a task's outputs out of its sandbox.
   *
   * @param dir a valid path
   * @return the files under it, possibly none
   * @throws IllegalArgumentException if {@code dir} is not a valid path
   */
  public Fileset under(String dir) {
    checkPath("dir", dir);
    String prefix = dir + "/";
    TreeMap<String, FileRef> inside = new TreeMap<>();
    // '/' + 1 is '0': every path starting with "dir/" sorts in [dir/, dir0).
    files.subMap(prefix, dir + "0").forEach(
        (path, ref) -> inside.put(path.substring(prefix.length()), ref));
    return new Fileset(inside);
  }

  /**
   * Returns the files of both filesets.
   *
   * @param other the files to add
   * @return the union
   * @throws IllegalArgumentException if the two give one path different references, or the
   *     union puts a file where the other has a directory
   */
  public Fileset plus(Fileset other) {
    TreeMap<String, FileRef> union = new TreeMap<>(files);
    other.files.forEach((path, ref) -> {
      FileRef previous = union.putIfAbsent(path, ref);
      if (previous != null && !previous.equals(ref)) {
        throw new IllegalArgumentException("path " + Messages.quote(path)
            + " is in both filesets with different content: " + previous + " and " + ref);
      }
    });
    return new Fileset(union);
  }

  /** Checks one path against the rules in the class comment. */
  private static void checkPath(String what, String path) {
    String problem = pathProblem(path);
    if (problem != null) {
      throw new IllegalArgumentException(
          what + " must be a relative path without . or .. segments but was "
              + Messages.quote(path) + " (" + problem + ")");
    }
  }

  private static @Nullable String pathProblem(String path) {
    if (path.isEmpty()) {
      return "empty";
    }
    if (path.startsWith("/")) {
      return "absolute";
    }
    if (path.indexOf('\\') >= 0) {
      return "has a backslash";
    }
    if (path.indexOf('\0') >= 0) {
      return "has a NUL character";
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        return "has an empty segment";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "has a " + segment + " segment";
      }
    }
    return null;
  }
}
