import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelId } from '@lethe/shared';
import { sha256Hex } from '../../application/model/weights-codec';
import { ModelStoreError, ModelStoreErrorCode } from '../../application/ports/model-store.errors';
import {
  sealPrivateChainState,
  sealPrivateFactor,
  type PrivateChainState,
  type PrivateChainStore,
  type PrivateFactorBytes,
} from '../../application/ports/private-chain-store.port';
import { errnoOf, io, placeExclusive, placeReplacingCache, readIfExists } from './fs-atomic';
import { assertDisjointRoots, checkId, checkVersion } from './keys';

export interface DirectoryPrivateChainStoreOptions {
  /** Root of the private store (e.g. `LETHE_PRIVATE_CHAIN_DIR`); created with mode 0700. */
  readonly root: string;
  /** The public model store's root: the two must not overlap (checked at open). */
  readonly publicRoot: string;
}

/**
 * Envelope of one stored chain state (all integers little-endian):
 *
 *   0        8   ASCII "LETHEPRV"
 *   8        4   uint32 format version = 1
 *   12       4   uint32 M = byte length of the meta JSON
 *   16       M   meta JSON (UTF-8)
 *   16+M     4   uint32 W = byte length of the weights file
 *   20+M     W   weights file (noise-free parameters)
 *   20+M+W   32  SHA-256 of bytes [0, 20+M+W)
 */
export const PRIVATE_STATE_MAGIC = 'LETHEPRV';
const FORMAT_VERSION = 1;

export const encodePrivateState = (s: PrivateChainState): Uint8Array => {
  const meta = Buffer.from(s.meta, 'utf8');
  const body = Buffer.alloc(20 + meta.length + s.weights.byteLength);
  body.write(PRIVATE_STATE_MAGIC, 0, 'ascii');
  body.writeUInt32LE(FORMAT_VERSION, 8);
  body.writeUInt32LE(meta.length, 12);
  meta.copy(body, 16);
  body.writeUInt32LE(s.weights.byteLength, 16 + meta.length);
  body.set(s.weights, 20 + meta.length);
  return Buffer.concat([body, Buffer.from(sha256Hex(body), 'hex')]);
};

export const decodePrivateState = (bytes: Uint8Array): PrivateChainState => {
  const corrupt = (why: string) =>
    new ModelStoreError(
      ModelStoreErrorCode.PRIVATE_STATE_CORRUPT,
      `private chain state: ${why}`,
      {},
    );
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 20 + 32) throw corrupt('too short');
  const body = b.subarray(0, b.length - 32);
  if (sha256Hex(body) !== b.subarray(b.length - 32).toString('hex')) {
    throw corrupt('checksum mismatch');
  }
  if (body.toString('ascii', 0, 8) !== PRIVATE_STATE_MAGIC) throw corrupt('bad magic');
  if (body.readUInt32LE(8) !== FORMAT_VERSION) throw corrupt('unsupported version');
  const m = body.readUInt32LE(12);
  if (16 + m + 4 > body.length) throw corrupt('truncated');
  const w = body.readUInt32LE(16 + m);
  if (20 + m + w !== body.length) throw corrupt('length mismatch');
  const meta = body.toString('utf8', 16, 16 + m);
  const weights = new Uint8Array(body.subarray(20 + m, 20 + m + w));
  // The chain digest recorded in the meta is the SHA-256 of the weights file: check it too.
  let chainDigest: unknown;
  try {
    chainDigest = (JSON.parse(meta) as { chainDigest?: unknown }).chainDigest;
  } catch {
    throw corrupt('meta is not JSON');
  }
  if (typeof chainDigest === 'string' && chainDigest !== sha256Hex(weights)) {
    throw corrupt('weights do not match the recorded chain digest');
  }
  return sealPrivateChainState({ meta, weights });
};

/**
 * The private chain store on a directory, apart from the public store:
 * `<root>/chains/<modelId>/<version>.state` (write-once, atomic, fsync'ed, mode 0600 in a 0700
 * root), verified on every read; beside it `<version>.factor`, the kept convex-newton factor of that
 * state (a cache: replaced atomically but not fsync'ed, verified by its codec, rebuilt by the
 * worker when missing or damaged, e.g. after the machine crashed before the page cache reached
 * the disk). Nothing here is served or published.
 */
export class DirectoryPrivateChainStore implements PrivateChainStore {
  private constructor(readonly root: string) {}

  static async open(o: DirectoryPrivateChainStoreOptions): Promise<DirectoryPrivateChainStore> {
    await io('mkdir', () => mkdir(join(o.root, 'tmp'), { recursive: true, mode: 0o700 }));
    await io('mkdir', () => mkdir(o.publicRoot, { recursive: true }));
    await assertDisjointRoots(o.publicRoot, o.root);
    return new DirectoryPrivateChainStore(o.root);
  }

  async put(modelId: ModelId, version: number, state: PrivateChainState) {
    checkId('modelId', modelId);
    checkVersion(version);
    const bytes = encodePrivateState(state);
    const path = this.path(modelId, version);
    const created = await io('write chain state', () =>
      placeExclusive(join(this.root, 'tmp'), path, bytes, 0o600),
    );
    if (!created) {
      const existing = await io('read chain state', () => readIfExists(path));
      if (!existing || !Buffer.from(bytes).equals(existing)) {
        throw new ModelStoreError(
          ModelStoreErrorCode.PRIVATE_STATE_CONFLICT,
          `chain state ${version} of ${modelId} is already stored with other content`,
          { modelId, version },
        );
      }
    }
    return { created };
  }

  async get(modelId: ModelId, version: number): Promise<PrivateChainState | null> {
    checkId('modelId', modelId);
    checkVersion(version);
    const bytes = await io('read chain state', () => readIfExists(this.path(modelId, version)));
    return bytes ? decodePrivateState(bytes) : null;
  }

  async latest(modelId: ModelId) {
    checkId('modelId', modelId);
    const names = await io('list chain states', async () => {
      try {
        return await readdir(join(this.root, 'chains', modelId));
      } catch (e) {
        if (errnoOf(e) === 'ENOENT') return [];
        throw e;
      }
    });
    const versions = names
      .map((n) => /^(\d+)\.state$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);
    if (versions.length === 0) return null;
    const version = Math.max(...versions);
    const state = await this.get(modelId, version);
    return state ? { version, state } : null;
  }

  async putFactor(modelId: ModelId, version: number, bytes: PrivateFactorBytes): Promise<void> {
    checkId('modelId', modelId);
    checkVersion(version);
    const path = this.path(modelId, version, 'factor');
    // A cache (rebuilt when missing or damaged, SHA-256 checked by its codec on every read):
    // renamed into place atomically, not fsync'ed (fs-atomic.ts, `placeReplacingCache`).
    await io('write kept factor', () =>
      placeReplacingCache(join(this.root, 'tmp'), path, bytes, 0o600),
    );
  }

  async getFactor(modelId: ModelId, version: number): Promise<PrivateFactorBytes | null> {
    checkId('modelId', modelId);
    checkVersion(version);
    const bytes = await io('read kept factor', () =>
      readIfExists(this.path(modelId, version, 'factor')),
    );
    return bytes ? sealPrivateFactor(new Uint8Array(bytes)) : null;
  }

  private path(modelId: string, version: number, ext: 'state' | 'factor' = 'state'): string {
    return join(this.root, 'chains', modelId, `${version}.${ext}`);
  }
}
