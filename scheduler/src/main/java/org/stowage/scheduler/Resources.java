package org.stowage.scheduler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.stowage.scheduler.internal.Checks;

/**
 * An immutable set of named quantities: what a task needs or what an alloc offers.
 *
 * <p>The well-known names are {@link #CPU} (cores, fractions allowed), {@link #MEM} and {@link #DISK}
 * (bytes); any other name (for example {@code "gpu"}) is a quantity of its own. A missing name
 * means zero, and zero quantities are not stored, so {@code Resources.of("cpu", 0)} equals
 * {@link #empty()}.
 *
 * <pre>{@code
 * Resources need = Resources.of("cpu", 2, "mem", 4 * Resources.GiB);
 * need.toString();   // {cpu:2 mem:4GiB}
 * }</pre>
 *
 * <p>Thread-safety: immutable, safe to share between threads.
 *
 * @param amounts the non-zero quantities by name; copied, and validated: every amount is finite
 *     and not negative, every name is non-empty and well-formed Unicode (no unpaired surrogate)
 */
public record Resources(Map<String, Double> amounts) {

  /** Cores; fractions are allowed. */
  public static final String CPU = "cpu";
  /** Memory in bytes. */
  public static final String MEM = "mem";
  /** Scratch disk in bytes. */
  public static final String DISK = "disk";

  /** One kibibyte, in bytes. */
  public static final long KiB = 1L << 10;
  /** One mebibyte, in bytes. */
  public static final long MiB = 1L << 20;
  /** One gibibyte, in bytes. */
  public static final long GiB = 1L << 30;
  /** One tebibyte, in bytes. */
  public static final long TiB = 1L << 40;

  private static final Resources EMPTY = new Resources(Map.of());
  /** Relative slack in comparisons, so that sums of fractions such as 0.1 + 0.2 still fit 0.3. */
  private static final double EPSILON = 1e-9;

  /**
   * Validates and copies the quantities, dropping zeros.
   *
   * @param amounts the quantities by name; zeros are dropped
   */
  public Resources {
    Objects.requireNonNull(amounts, "amounts");
    Map<String, Double> copy = new HashMap<>();
    for (Map.Entry<String, Double> e : amounts.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "resource name is null");
      Double amount = Objects.requireNonNull(e.getValue(), () -> "amount of " + name + " is null");
      check(name, amount);
      if (amount != 0) {
        copy.put(name, amount);
      }
    }
    amounts = Collections.unmodifiableMap(copy);
  }

  /**
   * Returns the resources with no quantities.
   *
   * @return the empty resources
   */
  public static Resources empty() {
    return EMPTY;
  }

  /**
   * Returns one quantity.
   *
   * @param name the quantity's name
   * @param amount the quantity; finite and not negative
   * @return the resources
   * @throws IllegalArgumentException if the name is empty or the amount is negative, NaN or infinite
   * @throws NullPointerException if the name is null
   */
  public static Resources of(String name, double amount) {
    return new Resources(named(new String[] {name}, amount));
  }

  /**
   * Returns two quantities; see {@link #of(String, double)}.
   *
   * @param name1 the first name
   * @param amount1 the first amount
   * @param name2 the second name
   * @param amount2 the second amount
   * @return the resources
   */
  public static Resources of(String name1, double amount1, String name2, double amount2) {
    return new Resources(named(new String[] {name1, name2}, amount1, amount2));
  }

  /**
   * Returns three quantities; see {@link #of(String, double)}.
   *
   * @param name1 the first name
   * @param amount1 the first amount
   * @param name2 the second name
   * @param amount2 the second amount
   * @param name3 the third name
   * @param amount3 the third amount
   * @return the resources
   */
  public static Resources of(
      String name1, double amount1, String name2, double amount2, String name3, double amount3) {
    return new Resources(
        named(new String[] {name1, name2, name3}, amount1, amount2, amount3));
  }

  /**
   * Returns four quantities; see {@link #of(String, double)}.
   *
   * @param name1 the first name
   * @param amount1 the first amount
   * @param name2 the second name
   * @param amount2 the second amount
   * @param name3 the third name
   * @param amount3 the third amount
   * @param name4 the fourth name
   * @param amount4 the fourth amount
   * @return the resources
   */
  public static Resources of(
      String name1, double amount1, String name2, double amount2,
      String name3, double amount3, String name4, double amount4) {
    return new Resources(named(new String[] {name1, name2, name3, name4},
        amount1, amount2, amount3, amount4));
  }

  /**
   * Returns the amount of {@code name}, or 0 if it is absent.
   *
   * @param name the quantity's name
   * @return its amount
   */
  public double get(String name) {
    return amounts.getOrDefault(name, 0.0);
  }

  /**
   * Returns the names with a non-zero amount.
   *
   * @return the names, in no particular order
   */
  public Set<String> names() {
    return amounts.keySet();
  }

  /**
   * Returns true if every amount is zero.
   *
   * @return whether there is no quantity
   */
  public boolean isEmpty() {
    return amounts.isEmpty();
  }

  /**
   * Returns the sum, name by name.
   *
   * @param other the resources to add
   * @return the sum
   * @throws IllegalArgumentException if an amount of the sum is too large to be finite
   */
  public Resources plus(Resources other) {
    Map<String, Double> sum = new HashMap<>(amounts);
    other.amounts.forEach((name, amount) -> sum.merge(name, amount, (a, b) -> {
      double total = a + b;
      if (Double.isInfinite(total)) {
        throw new IllegalArgumentException(
            name + " is too large: " + a + " + " + b + " is not a finite number");
      }
      return total;
    }));
    return new Resources(sum);
  }

  /**
   * Returns the difference, name by name.
   *
   * @param other the resources to subtract
   * @return the difference
   * @throws IllegalArgumentException if any amount would become negative
   */
  public Resources minus(Resources other) {
    Map<String, Double> diff = new HashMap<>(amounts);
    for (Map.Entry<String, Double> e : other.amounts.entrySet()) {
      double have = get(e.getKey());
      double left = have - e.getValue();
      if (left < 0) {
        if (left >= -slack(have)) {
          left = 0;
        } else {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "cannot subtract %s from %s: %s would be negative", other, this, e.getKey()));
        }
      }
      diff.put(e.getKey(), left);
    }
    return new Resources(diff);
  }

  /**
   * Returns every amount multiplied by {@code factor}.
   *
   * @param factor the multiplier; finite and not negative
   * @return the scaled resources
   * @throws IllegalArgumentException if the factor is negative, NaN or infinite, or an amount of
   *     the product is too large to be finite
   */
  public Resources times(double factor) {
    check("factor", factor);
    Map<String, Double> scaled = new HashMap<>();
    amounts.forEach((name, amount) -> {
      double product = amount * factor;
      if (Double.isInfinite(product)) {
        throw new IllegalArgumentException(
            name + " is too large: " + amount + " x " + factor + " is not a finite number");
      }
      scaled.put(name, product);
    });
    return new Resources(scaled);
  }

  /**
   * Returns the larger amount of each name.
   *
   * @param other the resources to compare with
   * @return the name-by-name maximum
   */
  public Resources max(Resources other) {
    Map<String, Double> max = new HashMap<>(amounts);
    other.amounts.forEach((name, amount) -> max.merge(name, amount, Math::max));
    return new Resources(max);
  }

  /**
   * Returns the smaller amount of each name (absent names count as zero).
   *
   * @param other the resources to compare with
   * @return the name-by-name minimum
   */
  public Resources min(Resources other) {
    Map<String, Double> min = new HashMap<>();
    amounts.forEach((name, amount) -> min.put(name, Math.min(amount, other.get(name))));
    return new Resources(min);
  }

  /**
   * Returns true if every amount here is at most the same amount in {@code capacity}: a task
   * needing these resources fits in an alloc with that capacity.
   *
   * @param capacity the capacity to fit in
   * @return whether these resources fit
   */
  public boolean fitsIn(Resources capacity) {
    for (Map.Entry<String, Double> e : amounts.entrySet()) {
      double have = capacity.get(e.getKey());
      if (e.getValue() > have + slack(have)) {
        return false;
      }
    }
    return true;
  }

  /** Returns a short form such as {@code {cpu:2 mem:4GiB gpu:1}}: cpu, mem and disk first. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("{");
    for (String name : orderedNames()) {
      if (out.length() > 1) {
        out.append(' ');
      }
      double amount = amounts.get(name);
      out.append(name).append(':')
          .append(MEM.equals(name) || DISK.equals(name) ? bytes(amount) : number(amount));
    }
    return out.append('}').toString();
  }

  /**
   * Returns the amounts in the order {@link #toString()} prints them, for stable output.
   *
   * @return the amounts by name, in order
   */
  public Map<String, Double> toOrderedMap() {
    Map<String, Double> ordered = new LinkedHashMap<>();
    for (String name : orderedNames()) {
      ordered.put(name, amounts.get(name));
    }
    return ordered;
  }

  private List<String> orderedNames() {
    List<String> names = new ArrayList<>(amounts.keySet());
    names.sort((a, b) -> {
      int ra = rank(a);
      int rb = rank(b);
      return ra != rb ? Integer.compare(ra, rb) : a.compareTo(b);
    });
    return names;
  }

  /**
   * Formats a byte count with a binary unit, e.g. {@code 4GiB} or {@code 1.5MiB}.
   *
   * @param amount the number of bytes
   * @return the formatted size
   */
  public static String bytes(double amount) {
    String[] units = {"TiB", "GiB", "MiB", "KiB"};
    long[] sizes = {TiB, GiB, MiB, KiB};
    for (int i = 0; i < units.length; i++) {
      if (amount >= sizes[i]) {
        return number(Math.round(amount / sizes[i] * 10) / 10.0) + units[i];
      }
    }
    return number(amount) + "B";
  }

  private static String number(double amount) {
    if (amount == Math.rint(amount) && Math.abs(amount) < 1e15) {
      return Long.toString((long) amount);
    }
    String s = String.format(Locale.ROOT, "%.3f", amount);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static int rank(String name) {
    switch (name) {
      case CPU: return 0;
      case MEM: return 1;
      case DISK: return 2;
      default: return 3;
    }
  }

  /** Pairs names with amounts, refusing a null or repeated name. */
  private static Map<String, Double> named(String[] names, double... amounts) {
    Map<String, Double> pairs = new HashMap<>();
    for (int i = 0; i < names.length; i++) {
      if (names[i] == null) {
        throw new NullPointerException("resource name is null");
      }
      if (pairs.put(names[i], amounts[i]) != null) {
        throw new IllegalArgumentException("resource " + names[i] + " is given twice");
      }
    }
    return pairs;
  }

  private static double slack(double have) {
    return EPSILON * Math.max(1, Math.abs(have));
  }

  private static void check(String name, double amount) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("resource name must not be empty");
    }
    if (Checks.hasUnpairedSurrogate(name)) {
      // The name is a key of the stats JSON, and JSON readers refuse such a key.
      throw new IllegalArgumentException(
          "resource name must not hold an unpaired surrogate but was " + Checks.quote(name));
    }
    if (Double.isNaN(amount) || Double.isInfinite(amount)) {
      throw new IllegalArgumentException(name + " must be finite but was " + amount);
    }
    if (amount < 0) {
      throw new IllegalArgumentException(name + " must be >= 0 but was " + amount);
    }
  }
}
