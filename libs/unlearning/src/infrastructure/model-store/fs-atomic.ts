import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelStoreError, ModelStoreErrorCode } from '../../application/ports/model-store.errors';

/*
 * Durable, atomic file writes for the directory stores. A file is written to a temp file in the
 * store's own tmp/ directory (same filesystem), fsync'ed, then moved into place and the target
 * directory fsync'ed, so a crash leaves either the old state or the complete new file, never a
 * torn one:
 * - `placeReplacing`: rename(2) over the target (content-addressed blobs: any writer writes the
 *   same bytes, so the last rename wins harmlessly);
 * - `placeExclusive`: link(2), which fails with EEXIST if the target exists: an atomic
 *   create-if-absent for write-once files (version metadata, chain steps). Needs hard links
 *   (any local POSIX filesystem).
 * Two cheaper forms, where the full one would buy nothing:
 * - `createEmptyExclusive`: an EMPTY write-once file (a certificate link) is created in place with
 *   O_CREAT|O_EXCL, then it and its directory are fsync'ed: an empty file has no content to tear,
 *   so no temp file and link are needed (a crash leaves the entry or not, never half of it);
 * - `placeReplacingCache`: a CACHE file (re-derivable, verified by its own codec on every read,
 *   e.g. the kept convex-newton factor) is written to a temp file and renamed over the target
 *   WITHOUT fsync: atomic against a crash of the process (the page cache survives it), and after
 *   a crash of the machine the reader finds the old file, the new one, or a damaged one that its
 *   checksum refuses, and re-derives it.
 */

export const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export const ioFailure = (op: string, e: unknown): ModelStoreError =>
  new ModelStoreError(ModelStoreErrorCode.IO_FAILURE, `model store: ${op} failed`, {
    op,
    errno: errnoOf(e) ?? null,
  });

/** Runs an fs operation, mapping unexpected errors to `MODEL_STORE_IO_FAILURE`. */
export const io = async <T>(op: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ModelStoreError) throw e;
    throw ioFailure(op, e);
  }
};

export const fsyncDir = async (dir: string): Promise<void> => {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
};

/**
 * mkdir -p the target's directory; when directories were created, fsync each new directory's
 * parent (from `dir` up to the parent of the first one created) so their entries survive a crash.
 */
export const ensureDir = async (dir: string): Promise<void> => {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const stop = dirname(first);
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (dirname(d) === stop || dirname(d) === d) break;
  }
};

/**
 * Writes `bytes` to a new temp file under `tmpDir`, fsync'ed unless `durable` is false (a cache
 * file: see the top of this file); returns its path.
 */
export const writeTemp = async (
  tmpDir: string,
  bytes: Uint8Array,
  mode: number,
  durable = true,
): Promise<string> => {
  const tmp = join(tmpDir, `${process.pid}-${randomUUID()}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(bytes);
    if (durable) await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return tmp;
};

/** Writes a temp file and renames it over `target` (the temp file removed if the rename fails). */
const replaceWith = async (
  tmpDir: string,
  target: string,
  bytes: Uint8Array,
  mode: number,
  durable: boolean,
): Promise<void> => {
  await ensureDir(dirname(target));
  const tmp = await writeTemp(tmpDir, bytes, mode, durable);
  try {
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
};

export const placeReplacing = async (
  tmpDir: string,
  target: string,
  bytes: Uint8Array,
  mode: number,
): Promise<void> => {
  await replaceWith(tmpDir, target, bytes, mode, true);
  await fsyncDir(dirname(target));
};

/** `placeReplacing` without the fsyncs, for cache files only (see the top of this file). */
export const placeReplacingCache = (
  tmpDir: string,
  target: string,
  bytes: Uint8Array,
  mode: number,
): Promise<void> => replaceWith(tmpDir, target, bytes, mode, false);

/**
 * An empty write-once file at `target`, durable: true if this call created it, false if it
 * existed already (see the top of this file).
 */
export const createEmptyExclusive = async (target: string, mode: number): Promise<boolean> => {
  await ensureDir(dirname(target));
  let fh;
  try {
    fh = await open(target, 'wx', mode);
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw e;
    // Made by an earlier call that may have died before its fsyncs: make the entry durable now.
    const existing = await open(target, 'r');
    try {
      await existing.sync();
    } finally {
      await existing.close();
    }
    await fsyncDir(dirname(target));
    return false;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dirname(target));
  return true;
};

/**
 * The first half of `placeExclusive`: the target's directory made (durably) and the bytes in an
 * fsync'ed temp file, nothing visible at `target` yet. Returns the temp file for
 * `commitExclusive`, or for `discardPrepared` when the write is abandoned.
 */
export const prepareExclusive = async (
  tmpDir: string,
  target: string,
  bytes: Uint8Array,
  mode: number,
): Promise<string> => {
  await ensureDir(dirname(target));
  return writeTemp(tmpDir, bytes, mode);
};

/**
 * The second half: link(2) the prepared temp file to `target` (true if this call created it;
 * false if it already existed, nothing written), remove the temp file, fsync the directory.
 */
export const commitExclusive = async (tmp: string, target: string): Promise<boolean> => {
  try {
    await link(tmp, target);
  } catch (e) {
    if (errnoOf(e) === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dirname(target));
  return true;
};

/** Removes a prepared temp file that will not be committed. */
export const discardPrepared = async (tmp: string): Promise<void> => {
  await unlink(tmp).catch(() => undefined);
};

/** True if this call created `target`; false if it already existed (nothing written). */
export const placeExclusive = async (
  tmpDir: string,
  target: string,
  bytes: Uint8Array,
  mode: number,
): Promise<boolean> => commitExclusive(await prepareExclusive(tmpDir, target, bytes, mode), target);

/** The file's bytes, or null if it does not exist. */
export const readIfExists = async (path: string): Promise<Buffer | null> => {
  try {
    return await readFile(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw e;
  }
};
