/**
 * The Slurm backend: {@link org.stowage.scheduler.slurm.SlurmCluster} runs tasks as job steps in
 * Slurm jobs, driven through the Slurm command-line client.
 *
 * <p>Design note. How the SPI maps onto Slurm, and why:
 *
 * <ul>
 *   <li><b>Alloc = one job on one node</b>, obtained with {@code salloc --no-shell} on a thread of
 *       the cluster. salloc prints the job id at once ({@code Pending job allocation N}), blocks
 *       until the job is granted (about 10 ms when a node is free) and exits; the job then holds
 *       its cpus and memory until it is cancelled, with no process of ours on the node.
 *       Cancelling a pending request is a SIGTERM to salloc, which withdraws the job, and a job
 *       that can never fit is refused at once ("Requested node configuration is not available",
 *       mapped to {@code NEVER}). The alternative, {@code sbatch --wrap 'exec sleep infinity'}
 *       polled with {@code squeue} until RUNNING, takes 0.13 to 2.7 s to start and needs polling.
 *       An salloc job has no batch script, so Slurm never requeues it under the same id after a
 *       node failure (the trap that {@code sbatch --no-requeue} avoids; salloc has no such
 *       option and needs none): a lost job stays lost, and the scheduler runs its tasks
 *       elsewhere. On sites with an {@code InactiveLimit}, an salloc job whose salloc has exited
 *       may be ended by Slurm; the keepalive then reports it lost.
 *   <li><b>Exec = one job step</b>: {@code srun --jobid=ID --overlap -n1 -c CPUS --mem=MiB -i none
 *       -- COMMAND}, started in the exec's sandbox under the shared directory. {@code --overlap}
 *       lets the steps of one job share its cpus, as the scheduler packs them; {@code -n1} keeps
 *       it to one task. srun's exit code is the command's, except when a node fails, when it may
 *       be 0: after every srun the job's state is checked, and a job no longer RUNNING makes the
 *       exec's result fail with {@link org.stowage.scheduler.AllocLostException}. Killing an
 *       exec sends SIGTERM to srun, which makes Slurm cancel the step and kill its processes on
 *       the node, wherever they run; the job stays up.
 *   <li><b>Keepalive = {@code squeue -h -t all -j ID -o %T}</b>: RUNNING or CONFIGURING is alive;
 *       any other state (CANCELLED, NODE_FAIL, TIMEOUT, COMPLETING...) or a job Slurm no longer
 *       knows is lost. A controller that cannot be reached says nothing about the job, so it
 *       never makes an alloc lost; the keepalive then asks again after a second.
 *   <li><b>Free = {@code scancel ID}</b>, which also ends the job's steps, then the alloc's
 *       directory is deleted.
 * </ul>
 *
 * <p>Files travel through a directory every node sees at the same path (the shared directory):
 * the scheduler stages inputs into the alloc's repository there, and the step reads them and
 * writes {@code out/} there, as {@link org.stowage.scheduler.local.LocalCluster} does on one
 * machine. The REST API (slurmrestd) is not used: in Slurm 22.05 it cannot launch steps, so
 * {@code srun} would be needed anyway, and it needs an extra daemon and token set-up.
 *
 * <p>Everything here is null-marked: a parameter or result may be null only where it says
 * {@code @Nullable}.
 */
@NullMarked
package org.stowage.scheduler.slurm;

import org.jspecify.annotations.NullMarked;
