import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelId } from '@lethe/shared';
import { sha256Hex } from '../../application/model/weights-codec';
import { isModelStoreError } from '../../application/ports/model-store.errors';
import { asReleasedWeights, type PutModelVersion } from '../../application/ports/model-store.port';
import {
  sealPrivateChainState,
  sealPrivateFactor,
  type PrivateChainState,
} from '../../application/ports/private-chain-store.port';
import { DirectoryModelStore } from './directory-model-store';
import { DirectoryPrivateChainStore } from './directory-private-chain-store';
import { trainingProfile, weightsFile } from './model-store.fixtures';

let base: string;
let publicRoot: string;
let privateRoot: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'lethe-stores-'));
  publicRoot = join(base, 'models');
  privateRoot = join(base, 'private');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const model = ModelId('m1');

/** A chain state as `serializeSequentialState` shapes it: meta JSON with the chain digest. */
const chainState = (seed: number): PrivateChainState => {
  const weights = weightsFile(seed);
  return sealPrivateChainState({
    meta: JSON.stringify({
      format: 'lethe.sequential-state/v1',
      chainDigest: sha256Hex(weights),
      k: seed,
    }),
    weights,
  });
};

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (isModelStoreError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ModelStoreError');
};

describe('DirectoryPrivateChainStore', () => {
  it('round-trips chain states; latest is the highest version', async () => {
    const store = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    expect(await store.latest(model)).toBeNull();
    const s1 = chainState(1);
    const s3 = chainState(3);
    expect(await store.put(model, 1, s1)).toEqual({ created: true });
    expect(await store.put(model, 3, s3)).toEqual({ created: true });
    const got = await store.get(model, 1);
    expect(got?.meta).toBe(s1.meta);
    expect(Buffer.from(got?.weights ?? []).equals(Buffer.from(s1.weights))).toBe(true);
    const latest = await store.latest(model);
    expect(latest?.version).toBe(3);
    expect(latest?.state.meta).toBe(s3.meta);
    expect(await store.get(model, 2)).toBeNull();
  });

  it('keeps a factor beside a version: replaced atomically, null when absent, never under the public root', async () => {
    const store = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    expect(await store.getFactor(model, 1)).toBeNull();
    await store.putFactor(model, 1, sealPrivateFactor(Uint8Array.of(1, 2, 3)));
    await store.putFactor(model, 1, sealPrivateFactor(Uint8Array.of(4, 5)));
    expect(Array.from((await store.getFactor(model, 1))!)).toEqual([4, 5]);
    expect(await store.getFactor(model, 2)).toBeNull();
    expect(await readdir(join(privateRoot, 'chains', 'm1'))).toEqual(['1.factor']);
    // A factor is not a chain state: latest() lists states only.
    expect(await store.latest(model)).toBeNull();
    expect(
      await codeOf(store.putFactor(ModelId('../x'), 1, sealPrivateFactor(Uint8Array.of(1)))),
    ).toBe('MODEL_STORE_INVALID_KEY');
  });

  it('is write-once and idempotent, also under concurrent puts', async () => {
    const store = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.put(model, 1, chainState(1))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await codeOf(store.put(model, 1, chainState(2)))).toBe('PRIVATE_CHAIN_STATE_CONFLICT');
  });

  it('refuses a state with one flipped byte (checksum) and one whose weights miss the chain digest', async () => {
    const store = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    await store.put(model, 1, chainState(1));
    const path = join(privateRoot, 'chains', 'm1', '1.state');
    const bytes = await readFile(path);
    bytes[40] = (bytes[40] as number) ^ 0x80;
    await writeFile(path, bytes);
    expect(await codeOf(store.get(model, 1))).toBe('PRIVATE_CHAIN_STATE_CORRUPT');

    const w = weightsFile(5);
    await store.put(
      model,
      2,
      sealPrivateChainState({ meta: JSON.stringify({ chainDigest: 'f'.repeat(64) }), weights: w }),
    );
    expect(await codeOf(store.get(model, 2))).toBe('PRIVATE_CHAIN_STATE_CORRUPT');
  });

  it('keeps its files private (0600 in a 0700 root)', async () => {
    const store = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    await store.put(model, 1, chainState(1));
    expect((await stat(join(privateRoot, 'chains', 'm1', '1.state'))).mode & 0o777).toBe(0o600);
    expect((await stat(privateRoot)).mode & 0o777).toBe(0o700);
  });
});

describe('public / private separation', () => {
  it('refuses a private root that is, contains, or lies inside the public root (symlinks resolved)', async () => {
    await mkdir(publicRoot, { recursive: true });
    await symlink(publicRoot, join(base, 'alias'));
    for (const [root, pub] of [
      [publicRoot, publicRoot],
      [join(publicRoot, 'private'), publicRoot],
      [base, publicRoot],
      [join(base, 'alias', 'p'), publicRoot],
    ] as const) {
      expect(await codeOf(DirectoryPrivateChainStore.open({ root, publicRoot: pub }))).toBe(
        'MODEL_STORE_ROOTS_OVERLAP',
      );
    }
  });

  it('the noise-free weights never land in the public store when both are used side by side', async () => {
    const models = await DirectoryModelStore.open({ root: publicRoot });
    const chain = await DirectoryPrivateChainStore.open({ root: privateRoot, publicRoot });
    const privateState = chainState(1);
    const released = weightsFile(2); // stands for w~ + noise
    await chain.put(model, 1, privateState);
    await models.putVersion({
      modelId: model,
      version: 1,
      weights: asReleasedWeights(released),
      parentDigest: null,
      trainingProfile: trainingProfile(),
    });
    const privateDigest = sha256Hex(privateState.weights);
    const publicFiles = await readdir(publicRoot, { recursive: true });
    expect(publicFiles.some((f) => f.includes(privateDigest))).toBe(false);
    expect(await codeOf(models.readWeights(privateDigest))).toBe('MODEL_STORE_NOT_FOUND');
  });

  it('the type system refuses private state where public weights are expected', () => {
    const state = chainState(1);
    const v = (weights: PutModelVersion['weights']): PutModelVersion => ({
      modelId: model,
      version: 1,
      weights,
      parentDigest: null,
      trainingProfile: trainingProfile(),
    });
    // Each call below is a compile error, checked by `npm run typecheck` (an expect-error
    // directive that is not needed fails it). At run time they are plain values.
    // @ts-expect-error a PrivateChainState is not PublicWeights
    v(state);
    // @ts-expect-error the private weight bytes are not PublicWeights
    v(state.weights);
    // @ts-expect-error private bytes cannot be branded as released weights
    asReleasedWeights(state.weights);
    // @ts-expect-error plain bytes must be branded explicitly
    v(weightsFile(1));
    expect(v(asReleasedWeights(weightsFile(1))).weights).toBeInstanceOf(Uint8Array);
  });
});
