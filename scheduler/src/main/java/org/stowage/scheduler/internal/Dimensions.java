package org.stowage.scheduler.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.stowage.scheduler.Resources;

/**
 * Maps resource names to vector slots, so that packing works on arrays instead of maps. Slots are
 * added as new names appear; a shorter vector has zeros in the slots added after it. Not API.
 *
 * <p>Thread-safety: not thread-safe; the engine's thread owns it.
 */
final class Dimensions {

  private final Map<String, Integer> slots = new HashMap<>();
  private final List<String> names = new ArrayList<>();

  /** Returns {@code r} as a vector, adding slots for names not seen before. */
  double[] vector(Resources r) {
    for (String name : r.names()) {
      slots.computeIfAbsent(name, n -> {
        names.add(n);
        return names.size() - 1;
      });
    }
    double[] v = new double[names.size()];
    r.amounts().forEach((name, amount) -> v[slots.get(name)] = amount);
    return v;
  }

  /** Returns {@code v} as resources. */
  Resources resources(double[] v) {
    Map<String, Double> m = new HashMap<>();
    for (int i = 0; i < v.length; i++) {
      if (v[i] != 0) {
        m.put(names.get(i), v[i]);
      }
    }
    return new Resources(m);
  }
}
