package org.stowage.testing;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.stowage.scheduler.internal.Checks;

/**
 * The test kit is built as users build on Stowage: on the API alone, so that what it shows works
 * for them too, and without a test framework, so that it fits any.
 */
class ApiOnlyTest {

  private static final JavaClasses KIT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.stowage.testing");

  /** The builders' argument checks are shared, so that the kit's messages read as the API's. */
  @Test
  void usesNoInternalClassOfTheSchedulerButItsArgumentChecks() {
    assertTrue(KIT.contain(FakeCluster.class), "the test kit was not imported");
    noClasses().should().dependOnClassesThat(
            resideInAPackage("org.stowage.scheduler.internal..").and(not(equivalentTo(Checks.class))))
        .check(KIT);
  }

  @Test
  void usesNoTestFramework() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("org.junit..", "org.opentest4j..", "org.awaitility..")
        .check(KIT);
  }
}
