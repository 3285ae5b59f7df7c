package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourcesTest {

  private static final double GiB = Resources.GiB;

  @Test
  void printsCpuMemAndDiskFirstWithReadableUnits() {
    assertEquals("{cpu:2 mem:4GiB}", Resources.of("mem", 4 * GiB, "cpu", 2).toString());
    assertEquals("{cpu:0.5 mem:1.5GiB disk:100GiB gpu:1}",
        Resources.of("gpu", 1, "disk", 100 * GiB, "mem", 1.5 * GiB, "cpu", 0.5).toString());
    assertEquals("{mem:512MiB}", Resources.of("mem", 512 * Resources.MiB).toString());
    assertEquals("{}", Resources.empty().toString());
  }

  @Test
  void missingMeansZeroAndZeroIsNotStored() {
    assertEquals(Resources.empty(), Resources.of("cpu", 0));
    assertEquals(0, Resources.of("cpu", 1).get("gpu"));
    assertEquals(Resources.of("cpu", 1), Resources.of("cpu", 1, "gpu", 0));
  }

  @Test
  void arithmeticIsNameByName() {
    Resources a = Resources.of("cpu", 2, "mem", 4 * GiB);
    Resources b = Resources.of("cpu", 1, "gpu", 1);
    assertEquals(Resources.of("cpu", 3, "mem", 4 * GiB, "gpu", 1), a.plus(b));
    assertEquals(Resources.of("cpu", 1, "mem", 4 * GiB), a.minus(Resources.of("cpu", 1)));
    assertEquals(Resources.of("cpu", 2, "mem", 4 * GiB, "gpu", 1), a.max(b));
    assertEquals(Resources.of("cpu", 1), a.min(b));
    assertEquals(Resources.of("cpu", 6, "mem", 12 * GiB), a.times(3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.minus(a));
    assertTrue(e.getMessage().contains("mem would be negative"), e.getMessage());
  }

  @Test
  void arithmeticThatOverflowsSaysTheResultIsTooLarge() {
    Resources big = Resources.of("cpu", 1, "gpu", Double.MAX_VALUE);
    IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
        () -> big.plus(big));
    assertEquals("gpu is too large: 1.7976931348623157E308 + 1.7976931348623157E308 is not a"
        + " finite number", sum.getMessage());
    IllegalArgumentException product = assertThrows(IllegalArgumentException.class,
        () -> big.times(2));
    assertEquals("gpu is too large: 1.7976931348623157E308 x 2.0 is not a finite number",
        product.getMessage());
    IllegalArgumentException request = assertThrows(IllegalArgumentException.class,
        () -> new Requirements(Resources.of("gpu", Double.MAX_VALUE / 2), 3).max());
    assertTrue(request.getMessage().startsWith("gpu is too large:"), request.getMessage());
  }

  @Test
  void aNameWithAnUnpairedSurrogateIsRefused() {
    // JSON readers refuse such a key, so stats naming it could not be read back.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Resources.of("gpu\uD800", 1));
    assertEquals("resource name must not hold an unpaired surrogate but was \"gpu\\uD800\"",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Resources.of("\uDC00gpu", 1));
    assertEquals(1, Resources.of("\uD83D\uDE80", 1).get("\uD83D\uDE80"), "a pair is fine");
  }

  @Test
  void fitsInChecksEveryDimensionAndToleratesRoundingOfSums() {
    Resources capacity = Resources.of("cpu", 16, "mem", 64 * GiB);
    assertTrue(Resources.of("cpu", 16).fitsIn(capacity));
    assertFalse(Resources.of("cpu", 1, "gpu", 1).fitsIn(capacity));
    assertFalse(Resources.of("mem", 65 * GiB).fitsIn(capacity));
    Resources tenths = Resources.empty();
    for (int i = 0; i < 10; i++) {
      tenths = tenths.plus(Resources.of("cpu", 0.1));
    }
    assertTrue(tenths.fitsIn(Resources.of("cpu", 1)), tenths::toString);
  }

  @Test
  void isImmutable() {
    Map<String, Double> source = new HashMap<>(Map.of("cpu", 1.0));
    Resources r = new Resources(source);
    source.put("cpu", 5.0);
    assertEquals(1, r.get("cpu"));
    assertThrows(UnsupportedOperationException.class, () -> r.amounts().put("mem", 1.0));
  }

  @Test
  void requirementsMaxIsWidthPlusOneUnits() {
    Requirements req = new Requirements(Resources.of("cpu", 2), 3);
    assertEquals(Resources.of("cpu", 8), req.max());
    assertEquals("{cpu:2}x4", req.toString());
    assertThrows(IllegalArgumentException.class,
        () -> new Requirements(Resources.of("cpu", 1), -1));
  }
}
