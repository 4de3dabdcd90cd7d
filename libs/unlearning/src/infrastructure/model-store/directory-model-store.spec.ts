import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateId, ModelId } from '@lethe/shared';
import { modelDigest, sha256Hex } from '../../application/model/weights-codec';
import { logisticRegression } from '../../application/model/architecture';
import { encodeSisaEnsemble } from '../../application/sisa/sisa-codec';
import { assignRecords } from '../../domain/sisa/sisa-plan';
import { parameterCount } from '../../domain/model/training-profile';
import { isModelStoreError } from '../../application/ports/model-store.errors';
import { asReleasedWeights, type PutModelVersion } from '../../application/ports/model-store.port';
import { DirectoryModelStore } from './directory-model-store';
import { trainingProfile, weightsFile } from './model-store.fixtures';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lethe-models-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const model = ModelId('mnist-mlp');
const open = () =>
  DirectoryModelStore.open({ root, now: () => new Date('2026-11-29T12:00:00.000Z') });

const put = (over: Partial<PutModelVersion> = {}): PutModelVersion => ({
  modelId: model,
  version: 1,
  weights: asReleasedWeights(weightsFile(1)),
  parentDigest: null,
  trainingProfile: trainingProfile(),
  ...over,
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (isModelStoreError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ModelStoreError');
};

/** Every file under dir (relative paths). */
const filesUnder = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
};

describe('DirectoryModelStore', () => {
  it('a version whose blob cannot be written is not stored: no metadata, no temp file left (the metadata is written beside the blob but linked only after it)', async () => {
    const store = await open();
    const bytes = weightsFile(1);
    const digest = sha256Hex(bytes);
    // The blob's directory cannot be made: a file stands where it goes.
    await writeFile(join(root, 'sha256'), 'not a directory');
    expect(await codeOf(store.putVersion(put()))).toBe('MODEL_STORE_IO_FAILURE');
    expect(await store.getVersion(model, 1)).toBeNull();
    expect(await store.listVersions(model)).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect((await filesUnder(root)).filter((f) => f.endsWith('.json'))).toEqual([]);
    // Once the blob can be written, the same put stores the version, with no certificate yet.
    await rm(join(root, 'sha256'));
    const { record, created } = await store.putVersion(put());
    expect(created).toBe(true);
    expect(record).toMatchObject({ digest, certificateIds: [] });
  });

  it('stores the blob at sha256/<2 hex>/<digest> and the version metadata; reads both back', async () => {
    const store = await open();
    const bytes = weightsFile(1);
    const digest = sha256Hex(bytes);
    const { record, created } = await store.putVersion(put());
    expect(created).toBe(true);
    expect(record).toEqual({
      modelId: model,
      version: 1,
      digest,
      parentDigest: null,
      sizeBytes: bytes.byteLength,
      format: 'lethe.weights/v1',
      trainingProfile: trainingProfile(),
      certificateIds: [],
      storedAt: '2026-11-29T12:00:00.000Z',
    });
    expect(await filesUnder(root)).toEqual([
      'models/mnist-mlp/versions/1.json',
      `sha256/${digest.slice(0, 2)}/${digest}`,
    ]);
    expect(Buffer.from(await store.readWeights(digest)).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.getVersion(model, 1)).toEqual(record);
    expect(await store.getVersion(model, 2)).toBeNull();
  });

  it('is idempotent: the same put again creates nothing and returns the stored record', async () => {
    const store = await open();
    const first = await store.putVersion(put());
    const later = await DirectoryModelStore.open({ root, now: () => new Date('2030-01-01') });
    const again = await later.putVersion(put());
    expect(again.created).toBe(false);
    expect(again.record).toEqual(first.record);
  });

  it('versions are write-once: other weights, parent or profile for a stored version conflict', async () => {
    const store = await open();
    await store.putVersion(put());
    for (const over of [
      { weights: asReleasedWeights(weightsFile(2)) },
      { parentDigest: 'b'.repeat(64) },
      { trainingProfile: trainingProfile({ seed: 7 }) },
    ]) {
      expect(await codeOf(store.putVersion(put(over)))).toBe('MODEL_STORE_VERSION_CONFLICT');
    }
    expect((await store.getVersion(model, 1))?.digest).toBe(sha256Hex(weightsFile(1)));
  });

  it('concurrent identical puts: exactly one creates, all return the same record', async () => {
    const stores = await Promise.all(Array.from({ length: 8 }, () => open()));
    const results = await Promise.all(stores.map((s) => s.putVersion(put())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results) expect(r.record).toEqual(results[0]?.record);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('concurrent puts of different weights for one version: one wins, the others conflict (no fork)', async () => {
    const store = await open();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        store.putVersion(put({ weights: asReleasedWeights(weightsFile(10 + i)) })),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(isModelStoreError(o.reason, 'MODEL_STORE_VERSION_CONFLICT')).toBe(true);
      }
    }
    const stored = await store.getVersion(model, 1);
    expect(stored?.digest).toBe(
      (won[0] as PromiseFulfilledResult<{ record: { digest: string } }>).value.record.digest,
    );
  });

  it('refuses a blob with one flipped byte on read (MODEL_STORE_BLOB_CORRUPT)', async () => {
    const store = await open();
    const { record } = await store.putVersion(put());
    const path = join(root, 'sha256', record.digest.slice(0, 2), record.digest);
    const bytes = await readFile(path);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
    await writeFile(path, bytes);
    expect(await codeOf(store.readWeights(record.digest))).toBe('MODEL_STORE_BLOB_CORRUPT');
    // A new put of the same release repairs the blob with the verified bytes.
    await store.putVersion(put());
    expect(sha256Hex(await store.readWeights(record.digest))).toBe(record.digest);
  });

  it('refuses altered metadata (MODEL_STORE_METADATA_CORRUPT)', async () => {
    const store = await open();
    await store.putVersion(put());
    const path = join(root, 'models', 'mnist-mlp', 'versions', '1.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"epochs":5', '"epochs":6'));
    expect(await codeOf(store.getVersion(model, 1))).toBe('MODEL_STORE_METADATA_CORRUPT');
    await writeFile(path, '{not json');
    expect(await codeOf(store.getVersion(model, 1))).toBe('MODEL_STORE_METADATA_CORRUPT');
  });

  it('stores a SISA ensemble file (verified constituent by constituent) and refuses a tampered one', async () => {
    const store = await open();
    const arch = logisticRegression(3, 2);
    const params = (x: number) => new Float32Array(parameterCount(arch)).fill(x);
    const constituent = (shard: number, x: number | null) => ({
      shard,
      checkpoints: [
        {
          params: x === null ? null : params(x),
          digest: x === null ? null : modelDigest(arch, params(x)),
          n: x === null ? 0 : 1,
          profile: null,
        },
      ],
    });
    const layout = { shards: 3, slices: 1, key: 1 };
    const file = encodeSisaEnsemble({
      arch,
      recipe: { C: 1, l2: 0, learningRate: 1, epochs: 1, batchSize: 1, seed: 1 },
      settings: { ...layout, aggregation: 'mean-softmax' },
      recordIds: [],
      assignment: assignRecords(layout, [], (id) => id),
      constituents: [constituent(0, 0.5), constituent(1, null), constituent(2, -1)],
    });
    const { record } = await store.putVersion(put({ weights: asReleasedWeights(file) }));
    expect(record.digest).toBe(sha256Hex(file));
    expect(Array.from(await store.readWeights(record.digest))).toEqual(Array.from(file));
    const tampered = Uint8Array.from(file);
    tampered[tampered.length - 2] = (tampered[tampered.length - 2] as number) ^ 1;
    expect(
      await codeOf(store.putVersion(put({ version: 2, weights: asReleasedWeights(tampered) }))),
    ).toBe('MODEL_STORE_INVALID_WEIGHTS');
  });

  it('refuses bytes that are not a weights file, and malformed keys', async () => {
    const store = await open();
    expect(
      await codeOf(store.putVersion(put({ weights: asReleasedWeights(new Uint8Array(64)) }))),
    ).toBe('MODEL_STORE_INVALID_WEIGHTS');
    for (const over of [
      { modelId: ModelId('../escape') },
      { modelId: ModelId('a/b') },
      { version: 0 },
      { version: 1.5 },
      { parentDigest: 'xyz' },
    ]) {
      expect(await codeOf(store.putVersion(put(over)))).toBe('MODEL_STORE_INVALID_KEY');
    }
    expect(await codeOf(store.readWeights('../../etc/passwd'))).toBe('MODEL_STORE_INVALID_KEY');
    expect(await codeOf(store.readWeights('c'.repeat(64)))).toBe('MODEL_STORE_NOT_FOUND');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('lists versions in order and links certificate ids idempotently', async () => {
    const store = await open();
    const v1 = await store.putVersion(put());
    await store.putVersion(
      put({
        version: 2,
        weights: asReleasedWeights(weightsFile(2)),
        parentDigest: v1.record.digest,
        certificateIds: [CertificateId('cert-b')],
      }),
    );
    await store.linkCertificate(model, 2, CertificateId('cert-a'));
    const linked = await store.linkCertificate(model, 2, CertificateId('cert-a'));
    expect(linked.certificateIds).toEqual(['cert-a', 'cert-b']);
    const all = await store.listVersions(model);
    expect(all.map((r) => [r.version, r.parentDigest])).toEqual([
      [1, null],
      [2, v1.record.digest],
    ]);
    expect(await store.listVersions(ModelId('other'))).toEqual([]);
    expect(await codeOf(store.linkCertificate(model, 3, CertificateId('c')))).toBe(
      'MODEL_STORE_NOT_FOUND',
    );
  });

  it('two versions with the same weights share one blob', async () => {
    const store = await open();
    const a = await store.putVersion(put());
    await store.putVersion(put({ version: 2, parentDigest: a.record.digest }));
    const blobs = (await filesUnder(root)).filter((f) => f.startsWith('sha256/'));
    expect(blobs).toHaveLength(1);
    expect((await stat(join(root, blobs[0] as string))).size).toBe(a.record.sizeBytes);
  });
});
