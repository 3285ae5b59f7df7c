/**
 * The {@code stowage} command line: {@link org.stowage.cli.Main} runs a workload file on
 * this machine with a {@link org.stowage.scheduler.local.LocalCluster}. It is the runnable demo of
 * the library and a small batch runner in its own right; it uses only the public API.
 *
 * <p><b>Workload format.</b> A JSON object with a list of tasks (a bare list of tasks works too):
 *
 * <pre>{@code
 * {
 *   "description": "free text, ignored",
 *   "env": {"LC_ALL": "C"},                  // added to every task's environment
 *   "tasks": [
 *     {
 *       "name": "sort-words",                // required; unique; names the output directory
 *       "command": "sort in/words.txt > out/sorted.txt",  // a string runs with sh -c,
 *                                            // or a list: ["sort", "-o", "out/s.txt", "in/w.txt"]
 *       "resources": {"cpu": 0.5, "mem": "256MiB"},       // default {"cpu": 1, "mem": "256MiB"}
 *       "priority": 0,                       // lower runs first; default 0
 *       "timeout": "30s",                    // per attempt: ms, s, m, h or ISO-8601; default none
 *       "env": {"SEED": "7"},                // added to the environment
 *       "inputs": {"in/words.txt": "data/words.txt"}      // sandbox path: file, relative to the
 *     }                                                   // workload file
 *   ]
 * }
 * }</pre>
 *
 * <p>A key may be given only once in an object: a second {@code "name"} in a task, say, is
 * refused, not taken over the first.
 *
 * <p>Input files must lie under the workload file's directory: an absolute path, a path that
 * leads out of it with {@code ..}, or a symbolic link to a file elsewhere is refused, unless the
 * command is given {@code --allow-outside-inputs}.
 *
 * <p>Sizes ({@code mem}, {@code disk}) are a whole number of bytes or a number with a binary unit:
 * {@code B}, {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}. Any other resource name is a
 * quantity of its own, which a local cluster cannot provide. A task writes its results under
 * {@code out/} in its sandbox; they end up in {@code <out dir>/<task name>/}, with {@code out/}
 * removed from their paths. The problems of a workload file (up to twenty) are reported at once,
 * each with the entry and field it concerns, for example
 * {@code tasks[3].resources.cpu: must be >= 0 but was -1}.
 *
 * <p><b>Output directory.</b> {@code repository/} holds every input and output object,
 * {@code stowage.log} the scheduler's log, and {@code <task name>/} each successful task's files.
 */
@NullMarked
package org.stowage.cli;

import org.jspecify.annotations.NullMarked;
