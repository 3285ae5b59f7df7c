package org.stowage.scheduler.slurm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Alloc;
import org.stowage.scheduler.AllocationException;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.internal.Durations;

/**
 * The allocations a {@link SlurmCluster} has asked for and not yet got: one
 * {@code salloc --no-shell} each, run on a thread of the cluster from its start to a granted job,
 * which the cluster turns into an alloc, or to a refusal. A request whose future is cancelled is
 * withdrawn: its salloc gets SIGTERM, which withdraws a pending job, and a job already granted is
 * cancelled.
 *
 * <p>Concurrency: the requests in flight are guarded by this object's monitor, which is never held
 * while a Slurm command runs or the cluster is called. {@link #close()} refuses new requests from
 * then on and withdraws those in flight, atomically with respect to {@link #request}, so that no
 * request escapes it. Thread-safe.
 */
final class SallocRequests {

  private static final Pattern JOB_ID =
      Pattern.compile("(?:Granted|Pending) job allocation (\\d+)");
  private static final String NEVER_FITS = "Requested node configuration is not available";

  private final SlurmCluster cluster;
  private final SlurmCli cli;
  private final String jobPrefix;
  private final @Nullable String partition;
  private final @Nullable Duration pendingTimeout;
  private final Executor executor;

  // Guarded by this.
  private final Map<Integer, Pending> pending = new HashMap<>();
  private int seq;
  private boolean closed;

  /** An allocation on its way: the salloc, and the job id once Slurm said it. */
  private static final class Pending {
    final CompletableFuture<Alloc> future = new CompletableFuture<>();
    volatile @Nullable Process salloc;
    volatile long jobId = -1;
  }

  /**
   * Creates the requests of {@code cluster}, whose jobs are named {@code jobPrefix-N}, submitted
   * to {@code partition} unless it is null and given up after {@code pendingTimeout} unless it is
   * null; sallocs run on {@code executor}.
   */
  SallocRequests(SlurmCluster cluster, SlurmCli cli, String jobPrefix, @Nullable String partition,
      @Nullable Duration pendingTimeout, Executor executor) {
    this.cluster = cluster;
    this.cli = cli;
    this.jobPrefix = jobPrefix;
    this.partition = partition;
    this.pendingTimeout = pendingTimeout;
    this.executor = executor;
  }

  /**
   * Asks Slurm for a job of {@code cpus} and {@code mib} on a thread of the cluster; never blocks.
   *
   * @param disk the disk the alloc is granted, not asked of Slurm
   * @return a future that completes as {@link SlurmCluster#allocate} says
   */
  CompletableFuture<Alloc> request(long cpus, long mib, double disk) {
    Pending p = new Pending();
    int n;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("slurm cluster " + jobPrefix + " is closed"));
      }
      n = ++seq;
      pending.put(n, p);
    }
    String name = jobPrefix + "-" + n;
    p.future.whenComplete((a, e) -> {
      if (e instanceof CancellationException) {
        withdraw(p);
      }
    });
    try {
      executor.execute(() -> run(n, p, name, cpus, mib, disk));
    } catch (RuntimeException e) {
      forget(n);
      return CompletableFuture.failedFuture(new IllegalStateException(
          "slurm cluster " + jobPrefix + " is closed", e));
    }
    return p.future;
  }

  /**
   * Refuses new requests from now on, cancels the futures of those in flight and withdraws them.
   * Idempotent.
   */
  void close() {
    List<Pending> toWithdraw;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toWithdraw = new ArrayList<>(pending.values());
    }
    toWithdraw.forEach(p -> p.future.cancel(false));
    toWithdraw.forEach(this::withdraw);
  }

  /**
   * Returns the salloc command for a job of {@code cpus} and {@code mib} named {@code name}: in
   * {@code partition} unless null, giving up after {@code pendingTimeout} (whole seconds, at most
   * what Slurm's integer holds) unless it is null or 100 years or more, which mean "never".
   */
  static List<String> command(String name, long cpus, long mib, @Nullable String partition,
      @Nullable Duration pendingTimeout) {
    List<String> cmd = new ArrayList<>(List.of("salloc", "--no-shell", "-N1", "-n1", "-c",
        Long.toString(cpus), String.format(Locale.ROOT, "--mem=%dM", mib), "-J", name));
    if (partition != null) {
      cmd.add("--partition=" + partition);
    }
    if (pendingTimeout != null && !Durations.isForever(pendingTimeout)) {
      cmd.add("--immediate="
          + Math.max(1, Math.min(Integer.MAX_VALUE, pendingTimeout.toSeconds())));
    }
    return cmd;
  }

  /** Runs salloc for pending request {@code n} and completes its future; on a cluster thread. */
  private void run(int n, Pending p, String name, long cpus, long mib, double disk) {
    try {
      List<String> cmd = command(name, cpus, mib, partition, pendingTimeout);
      if (p.future.isDone()) {
        return;
      }
      Process salloc = cli.builder(cmd).redirectInput(ProcessBuilder.Redirect.from(
          new java.io.File("/dev/null"))).start();
      p.salloc = salloc;
      if (p.future.isDone()) { // cancelled while starting: withdraw() may have missed the process
        salloc.destroy();
      }
      CompletableFuture<String> out = CompletableFuture.supplyAsync(
          () -> SlurmCli.readAll(salloc.getInputStream()), executor);
      StringBuilder err = new StringBuilder();
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(salloc.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          err.append(line).append('\n');
          Matcher m = JOB_ID.matcher(line);
          if (m.find()) {
            p.jobId = Long.parseLong(m.group(1));
            if (p.future.isDone()) {
              withdraw(p);
            }
          }
        }
      }
      int rc = salloc.waitFor();
      out.join();
      long jobId = p.jobId;
      if (rc != 0 || jobId < 0) {
        String message = err.toString().strip();
        if (p.future.isDone()) {
          return;
        }
        AllocationException.Kind kind = message.contains(NEVER_FITS)
            ? AllocationException.Kind.NEVER : AllocationException.Kind.NOT_NOW;
        p.future.completeExceptionally(new AllocationException(kind, "salloc of {cpu:" + cpus
            + " mem:" + Resources.bytes(mib * (double) Resources.MiB) + "} failed with exit code "
            + rc + ": " + message));
        return;
      }
      granted(p, jobId, name, cpus, mib, disk);
    } catch (IOException | RuntimeException e) {
      p.future.completeExceptionally(new AllocationException(AllocationException.Kind.NOT_NOW,
          "salloc " + name + " failed: " + e, e));
      withdraw(p);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.future.completeExceptionally(new AllocationException(AllocationException.Kind.NOT_NOW,
          "salloc " + name + " was interrupted", e));
      withdraw(p);
    } finally {
      forget(n);
    }
  }

  /**
   * Hands a granted job to the cluster as an alloc and completes the request with it, or cancels
   * the job if nobody wants it any more.
   */
  private void granted(Pending p, long jobId, String name, long cpus, long mib, double disk)
      throws IOException {
    SlurmCli.Grant grant = cli.grant(jobId);
    String node = grant != null ? grant.node() : "";
    long grantedCpus = grant != null ? grant.cpus() : cpus;
    long grantedMib = grant != null ? Math.max(mib, grant.memoryMiB()) : mib;
    @Nullable SlurmAlloc alloc = p.future.isDone() ? null
        : cluster.adopt(jobId, name, node, grantedCpus, grantedMib, disk);
    if (alloc == null) {
      cli.cancel(List.of(jobId));
      return;
    }
    if (!p.future.complete(alloc)) {
      alloc.free();
    }
  }

  /** Withdraws a request whose future was cancelled: ends the salloc, cancels a known job. */
  private void withdraw(Pending p) {
    Process salloc = p.salloc;
    if (salloc != null && salloc.isAlive()) {
      salloc.destroy(); // SIGTERM: salloc withdraws a pending job and exits
    }
    long jobId = p.jobId;
    if (jobId >= 0) {
      try {
        executor.execute(() -> cli.cancel(List.of(jobId)));
      } catch (RuntimeException e) {
        cli.cancel(List.of(jobId));
      }
    }
  }

  private synchronized void forget(int n) {
    pending.remove(n);
  }
}
