package org.stowage.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FilesetTest {
  static final FileRef ABC = FileRef.of("abc".getBytes());
  static final FileRef EMPTY = FileRef.of(new byte[0]);
  static final String EMPTY_HEX =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void jsonIsTheDocumentedFormatSortedByPath() throws Exception {
    Fileset fileset = Fileset.of(Map.of("in/b.txt", EMPTY, "in/a.txt", ABC, "README", ABC));
    String json = mapper.writeValueAsString(fileset);
    assertEquals("{\"files\":{"
        + "\"README\":{\"digest\":\"sha256:" + DigestTest.ABC + "\",\"size\":3},"
        + "\"in/a.txt\":{\"digest\":\"sha256:" + DigestTest.ABC + "\",\"size\":3},"
        + "\"in/b.txt\":{\"digest\":\"sha256:" + EMPTY_HEX + "\",\"size\":0}}}", json);
    assertEquals(fileset, mapper.readValue(json, Fileset.class));
  }

  @Test
  void jsonOfTheClassCommentReadsBack() throws Exception {
    String json = "{\"files\":{\"in/a.txt\":{\"digest\":\"sha256:" + DigestTest.ABC
        + "\",\"size\":3}}}";
    Fileset fileset = mapper.readValue(json, Fileset.class);
    assertEquals(Fileset.of(Map.of("in/a.txt", ABC)), fileset);
    assertEquals(json, mapper.writeValueAsString(fileset));
    assertEquals("{\"files\":{}}", mapper.writeValueAsString(Fileset.empty()));
  }

  @Test
  void jsonIsValidatedLikeTheConstructor() {
    String badPath = "{\"files\":{\"../a\":{\"digest\":\"sha256:" + DigestTest.ABC
        + "\",\"size\":3}}}";
    Exception e = assertThrows(Exception.class, () -> mapper.readValue(badPath, Fileset.class));
    assertTrue(String.valueOf(e.getMessage()).contains("\"../a\""), e.getMessage());

    String noSize = "{\"files\":{\"a\":{\"digest\":\"sha256:" + DigestTest.ABC + "\"}}}";
    e = assertThrows(Exception.class, () -> mapper.readValue(noSize, Fileset.class));
    assertTrue(String.valueOf(e.getMessage()).contains("'size'"), e.getMessage());
    String badDigest = "{\"files\":{\"a\":{\"digest\":\"sha256:abc\",\"size\":3}}}";
    assertThrows(Exception.class, () -> mapper.readValue(badDigest, Fileset.class));
    String negative = "{\"files\":{\"a\":{\"digest\":\"sha256:" + DigestTest.ABC
        + "\",\"size\":-1}}}";
    assertThrows(Exception.class, () -> mapper.readValue(negative, Fileset.class));
  }

  @Test
  void toJsonWritesTheDocumentedFormatAndFromJsonReadsItBack() {
    Fileset fileset = Fileset.of(Map.of("in/b.txt", EMPTY, "in/a.txt", ABC));
    String json = "{\"files\":{"
        + "\"in/a.txt\":{\"digest\":\"sha256:" + DigestTest.ABC + "\",\"size\":3},"
        + "\"in/b.txt\":{\"digest\":\"sha256:" + EMPTY_HEX + "\",\"size\":0}}}";
    assertEquals(json, fileset.toJson());
    assertEquals(fileset, Fileset.fromJson(json));
    assertEquals(Fileset.empty(), Fileset.fromJson(Fileset.empty().toJson()));
  }

  @Test
  void fromJsonRefusesAKeyGivenTwiceNamingIt() {
    String ref = "{\"digest\":\"sha256:" + DigestTest.ABC + "\",\"size\":3}";
    Map<String, String> refused = Map.of(
        "{\"files\":{\"in/a.txt\":{\"digest\":\"sha256:" + DigestTest.ABC
            + "\",\"size\":3,\"size\":4}}}",
        "fileset json has key \"size\" twice in files[\"in/a.txt\"]; a key may be given once",
        "{\"files\":{\"in/a.txt\":" + ref + ",\"in/a.txt\":" + ref + "}}",
        "fileset json has key \"in/a.txt\" twice in files; a key may be given once",
        "{\"files\":{\"a\":{\"digest\":\"sha256:" + EMPTY_HEX + "\",\"digest\":\"sha256:"
            + DigestTest.ABC + "\",\"size\":3}}}",
        "fileset json has key \"digest\" twice in files.a; a key may be given once",
        "{\"files\":{},\"files\":{\"a\":" + ref + "}}",
        "fileset json has key \"files\" twice; a key may be given once");
    refused.forEach((json, message) -> {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Fileset.fromJson(json), json);
      assertEquals(message, e.getMessage());
    });
  }

  @Test
  void fromJsonRefusesASizeThatIsNotWrittenAsAnIntegerNamingIt() {
    String prefix = "{\"files\":{\"in/a.txt\":{\"digest\":\"sha256:" + DigestTest.ABC
        + "\",\"size\":";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fileset.fromJson(prefix + "1.5}}}"));
    assertEquals("size in files[\"in/a.txt\"] must be a whole number but was 1.5",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Fileset.fromJson(prefix + "3.0}}}"));
    assertEquals("size in files[\"in/a.txt\"] must be a whole number but was 3.0",
        e.getMessage());
    for (String size : List.of("1e3", "\"3\"", "null")) {
      e = assertThrows(IllegalArgumentException.class,
          () -> Fileset.fromJson(prefix + size + "}}}"), size);
      assertTrue(e.getMessage().contains("size") && e.getMessage().contains("files[\"in/a.txt\"]"),
          e.getMessage());
    }
    assertEquals(3, Fileset.fromJson(prefix + "3}}}").files().get("in/a.txt").size());
  }

  @Test
  void fromJsonRefusesTrailingTextUnknownFieldsAndBadPaths() {
    String json = "{\"files\":{}}";
    assertThrows(IllegalArgumentException.class, () -> Fileset.fromJson(json + " {}"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fileset.fromJson("{\"files\":{\"a\":{\"digest\":\"sha256:" + DigestTest.ABC
            + "\",\"size\":3,\"sise\":4}}}"));
    assertTrue(e.getMessage().startsWith("invalid fileset json at files.a.sise: "),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Fileset.fromJson("{\"files\":{\"../a\":{\"digest\":\"sha256:" + DigestTest.ABC
            + "\",\"size\":3}}}"));
    assertEquals("path must be a relative path without . or .. segments but was \"../a\""
        + " (has a .. segment)", e.getMessage());
  }

  @Test
  void rejectsBadPathsNamingThem() {
    Map<String, String> problems = Map.of(
        "", "empty",
        "/etc/passwd", "absolute",
        "../a", "has a .. segment",
        "in/../../a", "has a .. segment",
        "./a", "has a . segment",
        "a//b", "has an empty segment",
        "a/", "has an empty segment",
        "a\\b", "has a backslash",
        "a\0b", "has a NUL character");
    problems.forEach((path, problem) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Fileset.of(Map.of(path, ABC)), path);
      assertEquals("path must be a relative path without . or .. segments but was "
          + Messages.quote(path) + " (" + problem + ")", e.getMessage());
    });
  }

  @Test
  void acceptsOrdinaryPaths() {
    Fileset fileset = Fileset.of(Map.of("a", ABC, "b/c/d.txt", ABC, "..a", ABC, "a.b/..c", ABC,
        "with space", ABC));
    assertEquals(5, fileset.files().size());
  }

  @Test
  void rejectsAPathThatIsAlsoADirectory() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fileset.of(Map.of("a", ABC, "a-b", ABC, "a/b", ABC)));
    assertEquals("path \"a\" is both a file and the directory of \"a/b\"", e.getMessage());
  }

  @Test
  void isImmutableAndSorted() {
    java.util.TreeMap<String, FileRef> files = new java.util.TreeMap<>(Map.of("b", ABC));
    Fileset fileset = new Fileset(files);
    files.put("a", ABC);
    assertEquals(List.of("b"), List.copyOf(fileset.files().keySet()));
    assertThrows(UnsupportedOperationException.class, () -> fileset.files().put("c", ABC));
  }

  @Test
  void digestsAndTotalSize() {
    Fileset fileset = Fileset.of(Map.of("a", ABC, "b", EMPTY, "c", ABC));
    assertEquals(Set.of(ABC.digest(), EMPTY.digest()), fileset.digests());
    assertEquals(List.of(ABC.digest(), EMPTY.digest()), List.copyOf(fileset.digests()));
    assertEquals(6, fileset.totalSize());
    assertEquals(0, Fileset.empty().totalSize());
  }

  @Test
  void prefixedAndUnderAreInverse() {
    Fileset fileset = Fileset.of(Map.of("a.txt", ABC, "d/b.txt", EMPTY));
    Fileset mounted = fileset.prefixed("in");
    assertEquals(Set.of("in/a.txt", "in/d/b.txt"), mounted.files().keySet());
    assertEquals(fileset, mounted.under("in"));
    assertEquals(Fileset.of(Map.of("b.txt", EMPTY)), mounted.under("in/d"));
    assertEquals(Fileset.empty(), mounted.under("i"));
    assertEquals(Fileset.empty(), fileset.prefixed("in").under("in0"));
    assertThrows(IllegalArgumentException.class, () -> fileset.prefixed(".."));
    assertThrows(IllegalArgumentException.class, () -> fileset.prefixed("/in"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> fileset.under(""));
    assertTrue(e.getMessage().startsWith("dir must be a relative path"), e.getMessage());
  }

  @Test
  void plusUnitesAndRefusesConflicts() {
    Fileset a = Fileset.of(Map.of("x", ABC));
    Fileset b = Fileset.of(Map.of("x", ABC, "y", EMPTY));
    assertEquals(b, a.plus(b));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> a.plus(Fileset.of(Map.of("x", EMPTY))));
    assertTrue(e.getMessage().startsWith("path \"x\" is in both filesets with different content"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> a.plus(Fileset.of(Map.of("x/y", ABC))));
  }

  @Test
  void fileRefRejectsNegativeSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FileRef(ABC.digest(), -1));
    assertEquals("size must be >= 0 but was -1", e.getMessage());
  }
}
