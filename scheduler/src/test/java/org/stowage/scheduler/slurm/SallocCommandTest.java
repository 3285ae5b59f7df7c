package org.stowage.scheduler.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The salloc command line a request turns into; needs no Slurm. */
class SallocCommandTest {

  private static final List<String> JOB =
      List.of("salloc", "--no-shell", "-N1", "-n1", "-c", "2", "--mem=512M", "-J", "job-1");

  @Test
  void aPendingTimeoutIsPassedInWholeSeconds() {
    assertEquals(plus("--partition=batch", "--immediate=90"),
        SallocRequests.command("job-1", 2, 512, "batch", Duration.ofSeconds(90)));
    assertEquals(plus("--immediate=1"),
        SallocRequests.command("job-1", 2, 512, null, Duration.ofMillis(1500)));
    assertEquals(JOB, SallocRequests.command("job-1", 2, 512, null, null));
  }

  /**
   * A pending timeout of 100 years or more means "never", as every duration does: salloc waits as
   * long as Slurm keeps the job pending. Passed on, it asked for more seconds than 32 bits hold.
   */
  @Test
  void aPendingTimeoutOfCenturiesMeansWaitAsLongAsSlurmKeepsTheJob() {
    assertEquals(JOB, SallocRequests.command("job-1", 2, 512, null,
        ChronoUnit.YEARS.getDuration().multipliedBy(300)));
    assertEquals(JOB, SallocRequests.command("job-1", 2, 512, null,
        ChronoUnit.FOREVER.getDuration()));
    // Shorter than that but past what an int of seconds holds: capped at the int's maximum.
    assertEquals(plus("--immediate=" + Integer.MAX_VALUE),
        SallocRequests.command("job-1", 2, 512, null, Duration.ofDays(365 * 80)));
  }

  private static List<String> plus(String... more) {
    List<String> cmd = new java.util.ArrayList<>(JOB);
    cmd.addAll(List.of(more));
    return cmd;
  }
}
