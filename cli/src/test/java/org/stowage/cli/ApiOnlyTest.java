package org.stowage.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The command is an application on the library's API, like any user's. */
class ApiOnlyTest {

  @Test
  void usesNoInternalClassOfTheScheduler() {
    JavaClasses command = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("org.stowage.cli");
    assertTrue(command.contain(Main.class), "the command was not imported");
    noClasses().should().dependOnClassesThat().resideInAPackage("org.stowage.scheduler.internal..")
        .check(command);
  }
}
