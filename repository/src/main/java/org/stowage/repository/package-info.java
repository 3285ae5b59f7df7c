/**
 * Content-addressed objects: what tasks read and write, and how they move between repositories.
 *
 * <p>An object is a byte string named by its SHA-256 {@link org.stowage.repository.Digest}. A
 * {@link org.stowage.repository.Repository} stores objects; it is a small interface (stat, get,
 * put, missing) so that a local directory ({@link org.stowage.repository.FileRepository}), an
 * in-memory fake ({@code org.stowage.testing.InMemoryRepository}) and remote stores fit it
 * alike. A {@link org.stowage.repository.Fileset} names a tree of files by path, each a
 * {@link org.stowage.repository.FileRef} (digest and size); it is a task's inputs or outputs
 * and has a stable JSON form. A {@link org.stowage.repository.Transferer} stages objects from
 * one repository into another: only what is missing, each object once at a time, under a
 * concurrency bound, remembering what each destination holds.
 *
 * <p>Design rules. Names are never trusted: a digest is validated before it becomes a file name,
 * a fileset path before it becomes a path, and bytes are digested as they are written (put) and
 * as they are read (get), so damage surfaces as {@code CORRUPT} rather than as wrong results.
 * Writes are all-or-nothing: an object appears under its name only once complete. Failures a
 * caller can act on are a {@link org.stowage.repository.RepositoryException} with a kind
 * ({@code NOT_FOUND}, {@code CORRUPT}, {@code UNAVAILABLE}); everything else is a programming
 * error. Every public type states its thread safety; the repositories and the transferer are
 * safe for concurrent use.
 *
 * <p>Null is not a valid value for any parameter or return value unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package org.stowage.repository;

import org.jspecify.annotations.NullMarked;
