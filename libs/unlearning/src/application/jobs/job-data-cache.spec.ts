import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobDatasetV1 } from '@lethe/shared';
import { createDatasetSource } from '../../infrastructure/datasets/create-dataset-source';
import { makeDataset, type Dataset } from '../model/dataset';
import type { DatasetSource } from '../ports/dataset-source.port';
import { writeNdjsonSource } from '../../testing/jobs/job-factories';
import { JobDataCache } from './job-data-cache';
import { loadJobData, type LoadOptions } from './job-data';
import type { DatasetSourceFactory } from './job-ports';

/*
 * The worker's cache of parsed job data: a model's next job takes its rows from the previous
 * job's rows while the sources' content fingerprints are unchanged, with exactly what a read of
 * the sources would give; any change to a source, or a row the cache does not hold, reads the
 * sources again.
 */

const aDataset = (n: number, dim = 3, seed = 1): Dataset => {
  let s = seed;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return makeDataset({
    name: 'd',
    features: Float32Array.from({ length: n * dim }, r),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    ids: Array.from({ length: n }, (_, i) => `r${i}`),
    dim,
    classes: 3,
  });
};

interface Fixture {
  readonly dataRoot: string;
  readonly datasets: JobDatasetV1[];
  /** The factory, counting the sources' reads (`read` calls). */
  readonly factory: DatasetSourceFactory;
  reads(): number;
  cleanup(): void;
}

const aFixture = (ds: Dataset, withFingerprint = true): Fixture => {
  const dataRoot = mkdtempSync(join(tmpdir(), 'lethe-job-data-'));
  const source = writeNdjsonSource(dataRoot, 'ds.ndjson', ds);
  let reads = 0;
  const factory: DatasetSourceFactory = (d) => {
    const s = createDatasetSource(d, { dataRoot });
    const counted: DatasetSource = {
      descriptor: s.descriptor,
      shape: () => s.shape(),
      read: (o) => {
        reads++;
        return s.read(o);
      },
      ...(withFingerprint && s.fingerprint ? { fingerprint: () => s.fingerprint!() } : {}),
    };
    return counted;
  };
  return {
    dataRoot,
    datasets: [{ datasetId: 'ds', source }],
    factory,
    reads: () => reads,
    cleanup: () => rmSync(dataRoot, { recursive: true, force: true }),
  };
};

const only = (ids: readonly string[]): LoadOptions['only'] => new Set(ids.map((i) => `ds/${i}`));

const opts = (f: Fixture, ids?: readonly string[]): LoadOptions => ({
  datasets: f.datasets,
  exclude: new Set(),
  ...(ids ? { only: only(ids) } : {}),
  name: 'job',
});

describe('loadJobData with the worker cache', () => {
  const ds = aDataset(40);
  const all = ds.ids;
  let f: Fixture;
  beforeEach(() => {
    f = aFixture(ds);
  });
  afterEach(() => f.cleanup());

  it('serves a later subset from the cache with exactly the rows a read gives', async () => {
    const cache = new JobDataCache();
    const slot = { cache, modelId: 'm' };
    await loadJobData(f.factory, opts(f), slot);
    expect(f.reads()).toBe(1);
    const dr = all.filter((id) => id !== 'r7' && id !== 'r20');
    const cached = await loadJobData(f.factory, opts(f, dr), slot);
    expect(f.reads()).toBe(1);
    const fresh = await loadJobData(f.factory, opts(f, dr));
    expect(f.reads()).toBe(2);
    expect(cached.data.ids).toEqual(fresh.data.ids);
    expect(Array.from(cached.data.features)).toEqual(Array.from(fresh.data.features));
    expect(Array.from(cached.data.labels)).toEqual(Array.from(fresh.data.labels));
    expect(cached.data.classes).toBe(fresh.data.classes);
    expect(cached.data.name).toBe('job');
    expect(cached.shape).toEqual(fresh.shape);
  });

  it('drops an unlearnt row: the entry becomes the job rows, the row is never served again', async () => {
    const cache = new JobDataCache();
    const slot = { cache, modelId: 'm' };
    await loadJobData(f.factory, opts(f), slot);
    const dr = all.filter((id) => id !== 'r3');
    await loadJobData(f.factory, opts(f, dr), slot);
    // A job that still asks for r3 cannot be served from the cache: the sources are read.
    const back = await loadJobData(f.factory, opts(f, all), slot);
    expect(f.reads()).toBe(2);
    expect(back.data.ids).toContain('ds/r3');
  });

  it('reads the sources again when a source changed (its fingerprint)', async () => {
    const cache = new JobDataCache();
    const slot = { cache, modelId: 'm' };
    await loadJobData(f.factory, opts(f), slot);
    const file = join(f.dataRoot, 'ds.ndjson');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const row = JSON.parse(lines[5] as string) as { x: number[] };
    row.x[0] = 42;
    lines[5] = JSON.stringify(row);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const out = await loadJobData(f.factory, opts(f, all), slot);
    expect(f.reads()).toBe(2);
    expect(out.data.features[5 * ds.dim]).toBe(42);
  });

  it('reads the sources again when a row the job needs left the source', async () => {
    const cache = new JobDataCache();
    const slot = { cache, modelId: 'm' };
    await loadJobData(f.factory, opts(f), slot);
    const file = join(f.dataRoot, 'ds.ndjson');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.filter((_, i) => i !== 9).join('\n')}\n`);
    const out = await loadJobData(f.factory, opts(f, all), slot);
    expect(f.reads()).toBe(2);
    // The caller compares the count with the version's records: RECORD_NOT_FOUND.
    expect(out.data.ids).toHaveLength(all.length - 1);
    expect(out.data.ids).not.toContain('ds/r9');
  });

  it('never serves an excluded row from the cache', async () => {
    const cache = new JobDataCache();
    const slot = { cache, modelId: 'm' };
    await loadJobData(f.factory, opts(f), slot);
    const out = await loadJobData(
      f.factory,
      { ...opts(f, all), exclude: new Set(['ds/r0', 'ds/r1']) },
      slot,
    );
    expect(f.reads()).toBe(1);
    expect(out.data.ids).toHaveLength(all.length - 2);
    expect(out.data.ids).not.toContain('ds/r0');
    expect(out.data.ids).not.toContain('ds/r1');
  });

  it('does not serve another model, nor a training read, from the cache', async () => {
    const cache = new JobDataCache();
    await loadJobData(f.factory, opts(f), { cache, modelId: 'm' });
    await loadJobData(f.factory, opts(f, all), { cache, modelId: 'other' });
    await loadJobData(f.factory, opts(f), { cache, modelId: 'm' });
    expect(f.reads()).toBe(3);
  });

  it('never caches a source without a fingerprint', async () => {
    const g = aFixture(ds, false);
    try {
      const cache = new JobDataCache();
      const slot = { cache, modelId: 'm' };
      await loadJobData(g.factory, opts(g), slot);
      await loadJobData(g.factory, opts(g, all), slot);
      expect(g.reads()).toBe(2);
      expect(cache.size).toBe(0);
    } finally {
      g.cleanup();
    }
  });

  it('keeps at most maxModels entries, the least recently used dropped first', async () => {
    const cache = new JobDataCache(2);
    for (const m of ['a', 'b', 'c']) await loadJobData(f.factory, opts(f), { cache, modelId: m });
    expect(cache.size).toBe(2);
    await loadJobData(f.factory, opts(f, all), { cache, modelId: 'a' });
    expect(f.reads()).toBe(4);
    await loadJobData(f.factory, opts(f, all), { cache, modelId: 'c' });
    expect(f.reads()).toBe(4);
  });

  it('drops a job’s forgotten records from the entry at once, and a later job that still wants them reads the sources', async () => {
    const cache = new JobDataCache();
    await loadJobData(f.factory, opts(f), { cache, modelId: 'm' });
    const before = cache.heldBytes;
    cache.dropRecords('m', ['ds/r3', 'ds/r7']);
    expect(cache.idsOf('m')).toEqual(
      all.filter((i) => i !== 'r3' && i !== 'r7').map((i) => `ds/${i}`),
    );
    expect(cache.heldBytes).toBe(before - 2 * (3 * 4 + 4));
    // The next job's D_r (without them) comes from the cache …
    const next = await loadJobData(
      f.factory,
      opts(
        f,
        all.filter((i) => i !== 'r3' && i !== 'r7'),
      ),
      {
        cache,
        modelId: 'm',
      },
    );
    expect(f.reads()).toBe(1);
    expect(next.data.ids).not.toContain('ds/r3');
    // … and a retry of the job that forgot them reads the sources again.
    const retry = await loadJobData(f.factory, opts(f, all), { cache, modelId: 'm' });
    expect(f.reads()).toBe(2);
    expect(retry.data.ids).toContain('ds/r3');
  });

  it('holds at most maxBytes of features and labels, the least recently used dropped first; a larger entry is not kept', async () => {
    const bytes = 40 * (3 * 4 + 4);
    const cache = new JobDataCache(10, 2 * bytes);
    for (const m of ['a', 'b', 'c']) await loadJobData(f.factory, opts(f), { cache, modelId: m });
    expect([cache.size, cache.heldBytes]).toEqual([2, 2 * bytes]);
    expect(cache.idsOf('a')).toBeUndefined();
    const small = new JobDataCache(10, bytes - 1);
    await loadJobData(f.factory, opts(f), { cache: small, modelId: 'a' });
    expect([small.size, small.heldBytes]).toEqual([0, 0]);
  });

  it('reads without the cache when a source cannot give its fingerprint', async () => {
    const cache = new JobDataCache();
    const failing: DatasetSourceFactory = (d) => {
      const s = f.factory(d);
      return { ...s, fingerprint: () => Promise.reject(new Error('gone')) };
    };
    const read = await loadJobData(failing, opts(f, all), { cache, modelId: 'm' });
    expect(read.data.ids).toHaveLength(40);
    expect(cache.size).toBe(0);
  });
});
