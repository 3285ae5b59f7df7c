package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * What users can reach: the API packages ({@code org.stowage.scheduler}, {@code .local},
 * {@code .slurm}) and nothing of {@code org.stowage.scheduler.internal} or the packages under it.
 * The jar is used from the class path, where every public class can be loaded, so this is checked
 * on the compiled classes rather than left to a module descriptor: no public signature names an
 * internal type, only the classes that wrap the engine use it, and no API type and internal type
 * use each other.
 *
 * <p>Inside, the engine ({@code internal}) and the process and sandbox machinery of the cluster
 * backends ({@code internal.process}) are rooms apart: neither uses the other, and the backends
 * use the machinery and the few helpers the engine shares, not the engine.
 */
class ApiBoundaryTest {

  private static final String INTERNAL = "org.stowage.scheduler.internal";

  /** The process and sandbox machinery the cluster backends share. */
  private static final String PROCESS = INTERNAL + ".process";

  /** The packages of the cluster backends. */
  private static final Set<String> BACKENDS =
      Set.of("org.stowage.scheduler.local", "org.stowage.scheduler.slurm");

  /**
   * The classes of the engine's package that the backends may use besides the process machinery:
   * helpers with no state of the engine's. Anything else of the engine is the scheduler's to
   * drive, through the API.
   */
  private static final Set<String> SHARED = Set.of(
      INTERNAL + ".Admissions",
      INTERNAL + ".Checks",
      INTERNAL + ".DaemonThreads",
      INTERNAL + ".Durations");

  /** The scheduler's main classes, Kotlin extensions included; not the tests or the test kit. */
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.stowage.scheduler");

  /**
   * The API classes that wrap the engine and so may use internal classes (besides the argument
   * checks of {@code internal.Checks}, which any API class may call). The backends in
   * {@code local} and {@code slurm} are built on the process machinery and are checked on their
   * own, below. A new entry here is a decision: it should be a class whose job is to hand work to
   * the engine.
   */
  private static final Set<String> WRAPPERS = Set.of(
      "org.stowage.scheduler.Scheduler",
      // The builder's options, which it turns into the engine's settings (Engine.Config), checked
      // as the engine reads durations (internal.Durations).
      "org.stowage.scheduler.SchedulerOptions");

  @Test
  void importsTheApiAndTheEngine() {
    // Guards the checks below against an import that finds nothing and so passes everything.
    assertTrue(CLASSES.contain(Scheduler.class), "Scheduler was not imported");
    assertTrue(CLASSES.stream().anyMatch(c -> c.getPackageName().equals(INTERNAL)),
        "no class of the engine found");
    assertTrue(CLASSES.stream().anyMatch(c -> c.getPackageName().equals(PROCESS)),
        "no class of the process machinery found");
    assertTrue(CLASSES.stream().anyMatch(c -> BACKENDS.contains(c.getPackageName())),
        "no class of a backend found");
    assertTrue(CLASSES.stream().anyMatch(c -> c.getSimpleName().equals("SchedulerExtensionsKt")),
        "the Kotlin extensions were not imported");
  }

  /** Of the engine or of the process machinery: every package under {@code internal}. */
  @Test
  void noPublicSignatureNamesAnInternalType() {
    List<String> leaks = new ArrayList<>();
    for (JavaClass c : CLASSES) {
      if (isInternal(c) || !visibleToUsers(c)) {
        continue;
      }
      c.getSuperclass().ifPresent(t -> leaks(c.getName() + " extends", t, leaks));
      for (JavaType t : c.getInterfaces()) {
        leaks(c.getName() + " implements", t, leaks);
      }
      for (JavaMember m : c.getMembers()) {
        if (!visibleToUsers(m)) {
          continue;
        }
        if (m instanceof JavaField f) {
          leaks(f.getFullName(), f.getType(), leaks);
        } else if (m instanceof JavaCodeUnit u) {
          leaks(u.getFullName() + " returns", u.getReturnType(), leaks);
          for (JavaType t : u.getParameterTypes()) {
            leaks(u.getFullName() + " takes", t, leaks);
          }
          for (JavaClass t : u.getThrowsClause().getTypes()) {
            leaks(u.getFullName() + " throws", t, leaks);
          }
        }
      }
    }
    assertEquals(List.of(), leaks, "internal types in the API's public signatures");
  }

  @Test
  void onlyTheClassesThatWrapTheEngineUseIt() {
    Set<String> users = new TreeSet<>();
    for (JavaClass c : CLASSES) {
      String owner = topLevel(c).getName();
      if (isInternal(c) || WRAPPERS.contains(owner) || BACKENDS.contains(c.getPackageName())) {
        continue;
      }
      c.getDirectDependenciesFromSelf().stream()
          .map(d -> d.getTargetClass().getBaseComponentType())
          .filter(t -> isInternal(t) && !topLevel(t).getName().equals(INTERNAL + ".Checks"))
          .forEach(t -> users.add(c.getName() + " -> " + t.getName()));
    }
    assertEquals(Set.of(), users, "API classes that use the engine's internals; use the API, or"
        + " list a class that wraps the engine in WRAPPERS");
  }

  @Test
  void theBackendsUseTheProcessMachineryAndTheSharedHelpersNotTheEngine() {
    Set<String> uses = new TreeSet<>();
    for (JavaClass c : CLASSES) {
      if (!BACKENDS.contains(c.getPackageName())) {
        continue;
      }
      c.getDirectDependenciesFromSelf().stream()
          .map(d -> topLevel(d.getTargetClass().getBaseComponentType()))
          .filter(t -> t.getPackageName().equals(INTERNAL) && !SHARED.contains(t.getName()))
          .forEach(t -> uses.add(c.getName() + " -> " + t.getName()));
    }
    assertEquals(Set.of(), uses, "backend classes that use the engine; a backend implements the"
        + " Cluster SPI and is driven by the scheduler, it does not reach into the engine");
  }

  @Test
  void theEngineDoesNotUseTheProcessMachinery() {
    assertEquals(Set.of(), uses(INTERNAL, PROCESS),
        "engine classes that use the backends' process machinery");
  }

  @Test
  void theProcessMachineryDoesNotUseTheEngine() {
    assertEquals(Set.of(), uses(PROCESS, INTERNAL),
        "process machinery that uses the engine's classes");
  }

  @Test
  void noApiTypeAndInternalTypeUseEachOther() {
    Set<String> circles = new TreeSet<>();
    for (JavaClass c : CLASSES) {
      if (isInternal(c)) {
        continue;
      }
      JavaClass api = topLevel(c);
      c.getDirectDependenciesFromSelf().stream()
          .map(d -> topLevel(d.getTargetClass().getBaseComponentType()))
          .filter(ApiBoundaryTest::isInternal)
          .filter(internal -> usesClass(internal, api))
          .forEach(internal -> circles.add(api.getName() + " <-> " + internal.getName()));
    }
    assertEquals(Set.of(), circles, "circles between an API type and an internal one: the engine"
        + " may read the API, but an API type reaches the engine only through a wrapper's hooks");
  }

  /** The uses of a class of package {@code to} by a class of package {@code from}, exactly. */
  private static Set<String> uses(String from, String to) {
    Set<String> uses = new TreeSet<>();
    for (JavaClass c : CLASSES) {
      if (!c.getPackageName().equals(from)) {
        continue;
      }
      c.getDirectDependenciesFromSelf().stream()
          .map(d -> d.getTargetClass().getBaseComponentType())
          .filter(t -> t.getPackageName().equals(to))
          .forEach(t -> uses.add(c.getName() + " -> " + t.getName()));
    }
    return uses;
  }

  /** Whether {@code top} or a class nested in it uses {@code target} or a class nested in it. */
  private static boolean usesClass(JavaClass top, JavaClass target) {
    return CLASSES.stream()
        .filter(c -> topLevel(c).equals(top))
        .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
        .anyMatch(d -> topLevel(d.getTargetClass().getBaseComponentType()).equals(target));
  }

  private static void leaks(String where, JavaType type, List<String> leaks) {
    for (JavaClass t : type.getAllInvolvedRawTypes()) {
      if (isInternal(t.getBaseComponentType())) {
        leaks.add(where + " " + t.getName());
      }
    }
  }

  private static boolean isInternal(JavaClass c) {
    String p = c.getPackageName();
    return p.equals(INTERNAL) || p.startsWith(INTERNAL + ".");
  }

  private static JavaClass topLevel(JavaClass c) {
    JavaClass top = c;
    while (top.getEnclosingClass().isPresent()) {
      top = top.getEnclosingClass().get();
    }
    return top;
  }

  /** Public or protected, and so is every class around it. */
  private static boolean visibleToUsers(JavaClass c) {
    for (JavaClass k = c; ; k = k.getEnclosingClass().get()) {
      Set<JavaModifier> m = k.getModifiers();
      if (!m.contains(JavaModifier.PUBLIC) && !m.contains(JavaModifier.PROTECTED)) {
        return false;
      }
      if (k.getEnclosingClass().isEmpty()) {
        return true;
      }
    }
  }

  private static boolean visibleToUsers(JavaMember m) {
    Set<JavaModifier> mods = m.getModifiers();
    return !mods.contains(JavaModifier.SYNTHETIC)
        && (mods.contains(JavaModifier.PUBLIC) || mods.contains(JavaModifier.PROTECTED));
  }
}
