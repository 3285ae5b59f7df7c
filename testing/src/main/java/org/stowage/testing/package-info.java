/**
 * Stowage's test kit: fakes that implement the whole service provider interface and are strict
 * about leaks ({@link org.stowage.testing.FakeCluster}, {@link org.stowage.testing.FakeAlloc},
 * {@link org.stowage.testing.FakeExec}), scripted by policies that answer each allocation request
 * and end each exec as a test decides ({@link org.stowage.testing.AllocPolicy},
 * {@link org.stowage.testing.ExecPolicy}), time that moves only when a test says so
 * ({@link org.stowage.testing.FakeTimeSource}), and seeded workload generators. It depends on no
 * test framework: blocking calls take a timeout and failures are {@code IllegalStateException}s
 * with clear messages, which any framework reports.
 */
@NullMarked
package org.stowage.testing;

import org.jspecify.annotations.NullMarked;
