package org.stowage.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DigestTest {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void digestsBytesToTheKnownValue() {
    Digest digest = Digest.of("abc".getBytes(StandardCharsets.US_ASCII));
    assertEquals(ABC, digest.hex());
    assertEquals("sha256:" + ABC, digest.toString());
  }

  @Test
  void streamingDigestEqualsOneShotDigest() throws Exception {
    byte[] bytes = GeneratedStream.bytes(7, 300_000);
    Digester digester = Digest.newDigester();
    for (int i = 0; i < bytes.length; i += 1000) {
      digester.update(bytes, i, Math.min(1000, bytes.length - i));
    }
    assertEquals(300_000, digester.size());
    Digest streamed = digester.digest();
    assertEquals(Digest.of(bytes), streamed);
    assertEquals(streamed, Digest.of(new ByteArrayInputStream(bytes)));
    assertThrows(IllegalStateException.class, digester::digest);
  }

  @Test
  void parsesPrefixedAndBareFormsAndNormalizesCase() {
    Digest digest = Digest.parse("sha256:" + ABC);
    assertEquals(digest, Digest.parse(ABC));
    assertEquals(digest, Digest.parse("sha256:" + ABC.toUpperCase()));
    assertEquals(ABC, Digest.parse(ABC.toUpperCase()).hex());
    assertEquals(digest, Digest.parse(digest.toString()));
  }

  @Test
  void rejectsNonHex() {
    String bad = "sha256:" + ABC.substring(0, 63) + "g";
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse(bad));
    assertEquals("digest must be sha256:<64 hex digits> but was \"" + bad
        + "\" (non-hex character at index 63)", e.getMessage());
  }

  @Test
  void cutsALongValueInTheMessage() {
    String long1 = "x".repeat(10_000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse(long1));
    assertEquals("digest must be sha256:<64 hex digits> but was \"" + "x".repeat(80)
        + "...\" (has 10000 characters, not 64)", e.getMessage());
  }

  @Test
  void rejectsWrongLength() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("abc"));
    assertEquals("digest must be sha256:<64 hex digits> but was \"abc\" (has 3 characters, not 64)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(ABC + "0"));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:"));
  }

  @Test
  void rejectsWrongPrefix() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("md5:" + ABC));
    assertTrue(e.getMessage().startsWith("digest must be sha256:<64 hex digits> but was \"md5:ba78"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("(unsupported algorithm \"md5\", only sha256 is supported)"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("SHA256:" + ABC));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(" sha256:" + ABC));
  }

  @Test
  void rejectsPathLikeValuesAndEscapesThemInTheMessage() {
    for (String bad : List.of("../../etc/passwd", "ab/" + ABC.substring(3), "\u0000", "a\nb")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Digest.parse(bad));
      assertTrue(e.getMessage().startsWith("digest must be"), e.getMessage());
      assertTrue(e.getMessage().indexOf('\n') < 0 && e.getMessage().indexOf('\0') < 0,
          e.getMessage());
    }
    // A full-width digit is a Unicode digit but not a hex digit.
    String fullWidth = ABC.substring(0, 63) + "\uff11";
    assertThrows(IllegalArgumentException.class, () -> new Digest(fullWidth));
  }

  @Test
  void ordersByHex() {
    Digest low = Digest.parse("0".repeat(64));
    Digest high = Digest.parse("f".repeat(64));
    assertTrue(low.compareTo(high) < 0);
    assertEquals(0, low.compareTo(Digest.parse("0".repeat(64))));
  }

  @Test
  void jsonIsTheStringForm() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    Digest digest = Digest.parse(ABC);
    assertEquals("\"sha256:" + ABC + "\"", mapper.writeValueAsString(digest));
    assertEquals(digest, mapper.readValue("\"sha256:" + ABC + "\"", Digest.class));
    Exception e = assertThrows(Exception.class, () -> mapper.readValue("\"nope\"", Digest.class));
    assertTrue(String.valueOf(e.getMessage()).contains("digest must be sha256"), e.getMessage());
  }
}
