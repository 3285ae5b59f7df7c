package org.stowage.scheduler;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.stowage.testing.FakeTimeSource;

/**
 * Adds to the error of a failing test what each scheduler on its fake clock was doing and did
 * last, while they are still open. Register it on a field: {@code @RegisterExtension}.
 */
final class ReportOnFailure implements TestExecutionExceptionHandler {

  private final FakeTimeSource time;

  ReportOnFailure(FakeTimeSource time) {
    this.time = time;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    String report = time.report();
    if (!report.isEmpty()) {
      failure.addSuppressed(new Throwable("the schedulers on the fake clock:\n" + report));
    }
    throw failure;
  }
}
