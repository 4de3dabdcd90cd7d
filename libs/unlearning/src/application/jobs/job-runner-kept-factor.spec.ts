import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelId } from '@lethe/shared';
import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { LoggerPort } from '@lethe/shared/application';
import {
  engine,
  useBackend as selectBackendUnderTest,
  backendUnderTest,
} from '../../../test/tf-test-helpers';
import { tf } from '../../infrastructure/tf/tf';
import { softmaxRegressionLossAndGradient } from '../../domain/convex/softmax-regression';
import { decodeKeptFactor, encodeKeptFactor, FACTOR_MAGIC } from '../convex/factor-codec';
import { rowsOf } from '../convex/solve-to-tolerance';
import { selectIds } from '../model/dataset';
import { distance, norm2 } from '../model/flat-vector';
import { sealPrivateFactor } from '../ports/private-chain-store.port';
import { deserializeSequentialState } from '../sequential-store';
import {
  aConvexProfile,
  anUnlearningJob,
  aSourcedDataset,
  aTrainingJob,
  aWorkerFixture,
  CONVEX_L2,
  CONVEX_TOLERANCE,
  type JobDatasets,
  jobMessage,
  subjectRecords,
  type Succeeded,
  verifyCertificate,
  type WorkerFixture,
} from '../../testing/jobs';

jest.setTimeout(180_000);

/*
 * The worker keeps the convex-newton factor between jobs (docs/method.md §10 "The kept factor"):
 * in the PRIVATE chain store, beside the chain state of each version and bound to it by the chain
 * digest; the next job loads and downdates it instead of rebuilding it. A missing, stale or damaged
 * factor is rebuilt (it is a preconditioner: the private check decides every release). Nothing of
 * it reaches the public store or a published message.
 */

const L2 = CONVEX_L2;
const TAU = CONVEX_TOLERANCE;
const { data, recordsOf } = subjectRecords('kept-factor');
const convexProfile = (convex: Record<string, unknown> = {}) => aConvexProfile({ convex });

/** A logger that keeps its lines (the worker says whether it loaded or rebuilt the factor). */
const recording = (): LoggerPort & { lines: string[] } => {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
};

/** The solver record a convex-newton certificate states (settings only). */
const solverOf = (p: unknown): Record<string, unknown> =>
  (p as { evidence: { guarantee: { solver: Record<string, unknown> } } }).evidence.guarantee.solver;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });

describe(`worker: the kept convex factor between jobs (${backendUnderTest()})`, () => {
  let f: WorkerFixture;
  let datasets: JobDatasets;
  const copies: WorkerFixture[] = [];

  const verify = async (w: WorkerFixture, jws: string) => (await verifyCertificate(w, jws)).payload;
  const unlearn = async (
    w: WorkerFixture,
    modelId: string,
    subject: string,
    baseVersion: number,
  ): Promise<{ result: Succeeded; log: string[] }> => {
    const logger = recording();
    const out = await w
      .runner({ logger })
      .handle(
        jobMessage(
          anUnlearningJob({ modelId, baseVersion, records: recordsOf(subject), datasets }),
        ),
      );
    const result = (out as { result: UnlearningResultDataV1 }).result;
    expect(result).toMatchObject({ kind: 'succeeded', method: 'convex-newton' });
    return { result: result as Succeeded, log: logger.lines };
  };
  const chainOf = async (w: WorkerFixture, modelId: string, version: number) =>
    deserializeSequentialState((await w.chainStore.get(ModelId(modelId), version))!);
  const factorOf = async (w: WorkerFixture, modelId: string, version: number) => {
    const bytes = await w.chainStore.getFactor(ModelId(modelId), version);
    return bytes ? decodeKeptFactor(bytes) : null;
  };
  const copy = async () => {
    const c = await aWorkerFixture(engine, f);
    copies.push(c);
    return c;
  };

  beforeAll(async () => {
    await selectBackendUnderTest();
    f = await aWorkerFixture(engine);
    datasets = aSourcedDataset(f, data);
    const before = tf.memory().numTensors;
    const out = await f
      .runner()
      .handle(jobMessage(aTrainingJob({ modelId: 'kf', datasets, profile: convexProfile() })));
    expect((out as { result: UnlearningResultDataV1 }).result.kind).toBe('trained');
    // One request, so that version 2's chain and factor come from a downdate.
    await unlearn(f, 'kf', 'u1', 1);
    expect(tf.memory().numTensors).toBe(before);
  });
  afterAll(() => {
    for (const c of copies) c.cleanup();
    f.cleanup();
  });

  it('training keeps the factor of D at w*, bound to the chain state of version 1', async () => {
    const chain = await chainOf(f, 'kf', 1);
    const kept = await factorOf(f, 'kf', 1);
    expect(kept).not.toBeNull();
    expect(kept!.chainDigest).toBe(chain.chainDigest);
    expect(kept!.factor).toMatchObject({ rows: 300, downdates: 0, p: 10 });
    expect(Array.from(kept!.factor.centre)).toEqual(Array.from(chain.chainParams));
  });

  it('the next job loads the kept factor (not rebuilt), downdates it and keeps the new one with the new chain', async () => {
    const w = await copy();
    const { result, log } = await unlearn(w, 'kf', 'u2', 2);
    expect(log.join('\n')).toContain('kept convex factor of version 2 loaded');
    expect(log.join('\n')).not.toContain('rebuilding');
    const chain = await chainOf(w, 'kf', 3);
    const kept = await factorOf(w, 'kf', 3);
    expect(kept!.chainDigest).toBe(chain.chainDigest);
    // Built on 300 rows at w*, downdated by 5 records of u1, then 5 of u2, k = 2 vectors each.
    expect(kept!.factor).toMatchObject({ rows: 290, downdates: 20 });
    expect(solverOf(await verify(w, result.certificate))).toMatchObject({
      factor: 'kept-cholesky',
    });
  });

  it('gives the same certificate as a job that rebuilds the factor, and a centre as close to w*_r', async () => {
    const reuse = await copy();
    const rebuild = await copy();
    await rebuild.chainStore.putFactor(ModelId('kf'), 2, sealPrivateFactor(new Uint8Array(0)));
    const a = await unlearn(reuse, 'kf', 'u3', 2);
    const b = await unlearn(rebuild, 'kf', 'u3', 2);
    expect(a.log.join('\n')).toContain('loaded');
    expect(b.log.join('\n')).toContain('unreadable: rebuilding it');
    // The releases carry CSPRNG noise (never seeded: docs/adr/0004), so the released bytes differ
    // by construction; everything the certificate states apart from ids, times and digests is
    // the same.
    const strip = (p: Awaited<ReturnType<typeof verify>>) => ({
      method: p.method,
      guarantee: p.guarantee,
      sequence: p.sequence,
      policy: (p.evidence as { policy?: unknown }).policy,
      versions: [p.model?.versionBefore, p.model?.versionAfter],
    });
    expect(strip(await verify(reuse, a.result.certificate))).toEqual(
      strip(await verify(rebuild, b.result.certificate)),
    );
    // Both noise-free centres pass ‖∇F_r‖/λ ≤ τ, so each is within τ of w*_r (strong convexity):
    // checked here in float64 on D_r, and their distance is ≤ 2τ.
    const ca = (await chainOf(reuse, 'kf', 3)).chainParams;
    const cb = (await chainOf(rebuild, 'kf', 3)).chainParams;
    const dr = selectIds(
      data,
      (await chainOf(reuse, 'kf', 3)).remainingIds.map((q) => q.slice(3)),
    );
    for (const c of [ca, cb]) {
      const g = softmaxRegressionLossAndGradient(c, rowsOf(dr), L2).gradient;
      expect(norm2(g) / L2).toBeLessThanOrEqual(TAU);
    }
    expect(distance(ca, cb)).toBeLessThanOrEqual(2 * TAU);
    // And the rebuilt factor is kept too, bound to the new chain.
    expect((await factorOf(rebuild, 'kf', 3))!.chainDigest).toBe(
      (await chainOf(rebuild, 'kf', 3)).chainDigest,
    );
  });

  it('a stale factor (another chain) or a damaged one is rebuilt; the release is still certified', async () => {
    const kept = (await f.chainStore.getFactor(ModelId('kf'), 2))!;
    const { factor } = decodeKeptFactor(kept);
    const stale = await copy();
    await stale.chainStore.putFactor(
      ModelId('kf'),
      2,
      sealPrivateFactor(encodeKeptFactor(factor, `sha256:${'0'.repeat(64)}`)),
    );
    const damaged = await copy();
    const flipped = Uint8Array.from(kept);
    flipped[100] = (flipped[100] as number) ^ 0xff;
    await damaged.chainStore.putFactor(ModelId('kf'), 2, sealPrivateFactor(flipped));
    for (const [w, why] of [
      [stale, 'stale'],
      [damaged, 'unreadable'],
    ] as const) {
      const { result, log } = await unlearn(w, 'kf', 'u4', 2);
      expect(log.join('\n')).toContain(`kept convex factor of version 2 ${why}: rebuilding it`);
      expect((await verify(w, result.certificate)).guarantee.type).toBe('certified');
      const next = await factorOf(w, 'kf', 3);
      expect(next!.chainDigest).toBe((await chainOf(w, 'kf', 3)).chainDigest);
      // Rebuilt on D_r at the chain's centre: no downdate in it.
      expect(next!.factor).toMatchObject({ rows: 290, downdates: 0 });
    }
  });

  it('nothing of the factor is in the public store or in a published message', async () => {
    const w = await copy();
    await unlearn(w, 'kf', 'u5', 2);
    const magic = Buffer.from(FACTOR_MAGIC, 'ascii');
    const publicFiles = filesUnder(join(w.root, 'models'));
    expect(publicFiles.length).toBeGreaterThan(0);
    for (const p of publicFiles) {
      expect(p.endsWith('.factor')).toBe(false);
      expect(readFileSync(p).includes(magic)).toBe(false);
    }
    const factors = filesUnder(join(w.root, 'private')).filter((p) => p.endsWith('.factor'));
    expect(factors.length).toBeGreaterThanOrEqual(2);
    const published = JSON.stringify([...f.sink.results, ...w.sink.results]);
    expect(published).not.toContain(FACTOR_MAGIC);
    for (const v of [1, 2, 3]) {
      expect(published).not.toContain((await factorOf(w, 'kf', v))!.chainDigest);
    }
  });

  it('the next job of the same worker takes the factor from worker memory; the stored one is written too', async () => {
    const w = await copy();
    // A fresh worker on copied stores: version 2's factor comes from the store.
    const first = await unlearn(w, 'kf', 'u6', 2);
    expect(first.log.join('\n')).toContain('kept convex factor of version 2 loaded');
    expect(first.log.join('\n')).not.toContain('worker memory');
    // Its next job takes version 3's factor from memory, with the same checks as a stored one.
    const second = await unlearn(w, 'kf', 'u7', 3);
    expect(second.log.join('\n')).toContain(
      'kept convex factor of version 3 loaded from worker memory',
    );
    expect((await verify(w, second.result.certificate)).guarantee.type).toBe('certified');
    const stored = await factorOf(w, 'kf', 3);
    expect(stored!.chainDigest).toBe((await chainOf(w, 'kf', 3)).chainDigest);
    expect((await factorOf(w, 'kf', 4))!.chainDigest).toBe((await chainOf(w, 'kf', 4)).chainDigest);
    // The centre the memory factor led to passes the private check on D_r in float64.
    const chain = await chainOf(w, 'kf', 4);
    const dr = selectIds(
      data,
      chain.remainingIds.map((q) => q.slice(3)),
    );
    const g = softmaxRegressionLossAndGradient(chain.chainParams, rowsOf(dr), L2).gradient;
    expect(norm2(g) / L2).toBeLessThanOrEqual(TAU);
  });

  it('a factor in memory for another chain state is not used: the stored one is read', async () => {
    const w = await copy();
    const { factor } = (await factorOf(w, 'kf', 2))!;
    // Same version, another chain digest (e.g. left by a computation whose effect did not win).
    w.deps.factorCache!.set('kf', 2, `sha256:${'0'.repeat(64)}`, factor);
    const { log } = await unlearn(w, 'kf', 'u8', 2);
    expect(log.join('\n')).toContain('kept convex factor of version 2 loaded');
    expect(log.join('\n')).not.toContain('worker memory');
  });

  it('the version and the chain state are durable, and the factor (a cache, not fsynced) is in place, before the certificate is linked and the result published', async () => {
    const w = await copy();
    const events: string[] = [];
    const later = <T>(what: string, ms: number, f: () => Promise<T>) =>
      new Promise<T>((resolve, reject) =>
        setTimeout(() => {
          f().then(
            (v) => {
              events.push(`${what} done`);
              resolve(v);
            },
            (e: unknown) => reject(e as Error),
          );
        }, ms),
      );
    // Each write finishes at a different time; the factor (a cache) last.
    const chainStore = Object.assign(Object.create(w.chainStore) as typeof w.chainStore, {
      put: (...a: Parameters<typeof w.chainStore.put>) =>
        later('chain', 50, () => w.chainStore.put(...a)),
      putFactor: (...a: Parameters<typeof w.chainStore.putFactor>) =>
        later('factor', 300, () => w.chainStore.putFactor(...a)),
    });
    const modelStore = Object.assign(Object.create(w.modelStore) as typeof w.modelStore, {
      putVersion: (...a: Parameters<typeof w.modelStore.putVersion>) =>
        later('version', 150, () => w.modelStore.putVersion(...a)),
      linkCertificate: (...a: Parameters<typeof w.modelStore.linkCertificate>) => {
        events.push('link');
        return w.modelStore.linkCertificate(...a);
      },
    });
    const sink = {
      publish: (r: UnlearningResultDataV1) => {
        events.push(`publish ${r.kind}`);
        return w.sink.publish(r);
      },
    };
    const out = await w
      .runner({ chainStore, modelStore, sink })
      .handle(
        jobMessage(
          anUnlearningJob({ modelId: 'kf', baseVersion: 2, records: recordsOf('u9'), datasets }),
        ),
      );
    expect((out as { result: UnlearningResultDataV1 }).result.kind).toBe('succeeded');
    const link = events.indexOf('link');
    for (const w of ['chain done', 'version done', 'factor done'])
      expect(events.indexOf(w)).toBeGreaterThanOrEqual(0);
    for (const w of ['chain done', 'version done', 'factor done'])
      expect(events.indexOf(w)).toBeLessThan(link);
    expect(events.indexOf('publish succeeded')).toBeGreaterThan(link);
  });

  it('a crash while the factor is written: no certificate linked, nothing published as done; the next attempt finishes, and the job after it rebuilds the factor', async () => {
    const w = await copy();
    const job = anUnlearningJob({
      modelId: 'kf',
      baseVersion: 2,
      records: recordsOf('u10'),
      datasets,
    });
    const chainStore = Object.assign(Object.create(w.chainStore) as typeof w.chainStore, {
      putFactor: () => Promise.reject(new Error('the worker died while writing the factor')),
    });
    const failed = (await w.runner({ chainStore }).handle(jobMessage(job))) as {
      result: UnlearningResultDataV1;
    };
    expect(failed.result.kind).toBe('failed');
    // The staged effect is kept, but no certificate is linked to the new version and no
    // succeeded result went out.
    expect((await w.modelStore.getVersion(ModelId('kf'), 3))?.certificateIds ?? []).toEqual([]);
    expect(w.sink.results.filter((r) => r.kind === 'succeeded')).toEqual([]);
    expect(await w.journal.staged(job.jobId)).not.toBeNull();
    // The next attempt applies the staged effect (without the factor: a cache)…
    const again = (await w.runner().handle(jobMessage({ ...job, attempt: 2 }))) as {
      result: Succeeded;
    };
    expect(again.result).toMatchObject({ kind: 'succeeded', attempt: 2 });
    expect((await w.modelStore.getVersion(ModelId('kf'), 3))?.certificateIds).toHaveLength(1);
    expect(await w.chainStore.getFactor(ModelId('kf'), 3)).toBeNull();
    // …and a new worker's next job rebuilds it; its release is still certified.
    const fresh = await aWorkerFixture(engine, w);
    copies.push(fresh);
    const { result, log } = await unlearn(fresh, 'kf', 'u11', 3);
    expect(log.join('\n')).toContain('kept convex factor of version 3 missing: rebuilding it');
    expect((await verify(fresh, result.certificate)).guarantee.type).toBe('certified');
  });

  describe('the step claim, taken beside the reads of the base version, D_r and the factor', () => {
    const gone = [
      {
        datasetId: 'ds',
        source: {
          kind: 'file',
          format: 'ndjson',
          path: 'gone.ndjson',
          recordIdColumn: 'id',
          labelColumn: 'label',
          classCount: 10,
        },
      },
    ];
    const run = (w: WorkerFixture, jobDatasets: JobDatasets, subject: string) =>
      w.runner().handle(
        jobMessage(
          anUnlearningJob({
            modelId: 'kf',
            baseVersion: 2,
            records: recordsOf(subject),
            datasets: jobDatasets,
          }),
        ),
      ) as Promise<{ result: UnlearningResultDataV1 }>;

    it('a job whose D_r cannot be read fails and gives its claim back: the next job takes the step', async () => {
      const w = await copy();
      const before = await w.journal.lastStep('kf');
      const failed = await run(w, gone, 'u12');
      expect(failed.result.kind).toBe('failed');
      expect(await w.journal.lastStep('kf')).toEqual(before);
      const ok = await run(w, datasets, 'u12');
      expect(ok.result.kind).toBe('succeeded');
      const p = await verify(w, (ok.result as Succeeded).certificate);
      expect(p.sequence.index).toBe(before!.index + 1);
    });

    it("a job on a stale or missing base version fails with the base's own error (not MODEL_BUSY) and gives its claim back", async () => {
      const w = await copy();
      const before = await w.journal.lastStep('kf');
      for (const [baseVersion, code] of [
        [1, 'JOB_STALE_BASE_VERSION'],
        [99, 'JOB_BASE_VERSION_NOT_FOUND'],
      ] as const) {
        const out = (await w
          .runner()
          .handle(
            jobMessage(
              anUnlearningJob({ modelId: 'kf', baseVersion, records: recordsOf('u14'), datasets }),
            ),
          )) as { result: UnlearningResultDataV1 };
        expect(out.result).toMatchObject({ kind: 'failed', code });
        expect(await w.journal.lastStep('kf')).toEqual(before);
      }
      // The same errors come first when another job holds the next step; its claim is kept.
      const next = before!.index + 1;
      expect(await w.journal.claimStep('kf', next, 'another-job')).toEqual({
        holder: 'another-job',
        created: true,
      });
      const stale = (await w
        .runner()
        .handle(
          jobMessage(
            anUnlearningJob({ modelId: 'kf', baseVersion: 1, records: recordsOf('u14'), datasets }),
          ),
        )) as { result: UnlearningResultDataV1 };
      expect(stale.result).toMatchObject({ kind: 'failed', code: 'JOB_STALE_BASE_VERSION' });
      expect(await w.journal.stepHolder('kf', next)).toBe('another-job');
    });

    it("a model whose next step is held by another job: JOB_MODEL_BUSY, whatever the reads beside it gave, and the holder's claim is kept", async () => {
      const w = await copy();
      const next = (await w.journal.lastStep('kf'))!.index + 1;
      expect(await w.journal.claimStep('kf', next, 'another-job')).toEqual({
        holder: 'another-job',
        created: true,
      });
      for (const jobDatasets of [datasets, gone]) {
        const out = await run(w, jobDatasets, 'u13');
        expect(out.result).toMatchObject({ kind: 'failed', code: 'JOB_MODEL_BUSY' });
      }
      expect(await w.journal.stepHolder('kf', next)).toBe('another-job');
      expect(await w.modelStore.getVersion(ModelId('kf'), 3)).toBeNull();
    });

    it("a delivery whose base fails leaves a claim it found (a twin delivery's, still computing) as it was", async () => {
      const w = await copy();
      const next = (await w.journal.lastStep('kf'))!.index + 1;
      const job = anUnlearningJob({
        modelId: 'kf',
        baseVersion: 1,
        records: recordsOf('u15'),
        datasets,
      });
      // The twin delivery of the same job claimed the step and is computing.
      expect(await w.journal.claimStep('kf', next, job.jobId)).toEqual({
        holder: job.jobId,
        created: true,
      });
      const out = (await w.runner().handle(jobMessage(job))) as { result: UnlearningResultDataV1 };
      expect(out.result).toMatchObject({ kind: 'failed', code: 'JOB_STALE_BASE_VERSION' });
      expect(await w.journal.stepHolder('kf', next)).toBe(job.jobId);
    });

    it('a staged effect whose step another job holds is not applied again (no second certificate for one step)', async () => {
      const w = await copy();
      const job = anUnlearningJob({
        modelId: 'kf',
        baseVersion: 2,
        records: recordsOf('u16'),
        datasets,
      });
      const chainStore = Object.assign(Object.create(w.chainStore) as typeof w.chainStore, {
        putFactor: () => Promise.reject(new Error('the worker died while writing the factor')),
      });
      const failed = (await w.runner({ chainStore }).handle(jobMessage(job))) as {
        result: UnlearningResultDataV1;
      };
      expect(failed.result.kind).toBe('failed');
      const staged = await w.journal.staged(job.jobId);
      expect(staged?.kind).toBe('unlearning');
      const step = (staged as { step: number }).step;
      // As if a twin delivery had given the step back before this one staged, and another job
      // had taken it: the claim file now names that job.
      writeFileSync(
        join(w.root, 'private', 'journal', 'models', 'kf', 'steps', String(step)),
        'other',
      );
      await expect(w.runner().handle(jobMessage({ ...job, attempt: 2 }))).rejects.toMatchObject({
        code: 'JOB_MODEL_BUSY',
      });
      expect((await w.modelStore.getVersion(ModelId('kf'), 3))?.certificateIds ?? []).toEqual([]);
      expect(w.sink.results.filter((r) => r.kind === 'succeeded')).toEqual([]);
    });
  });

  it('keptFactor: false keeps none and runs Newton steps without it', async () => {
    const w = await copy();
    const out = await w.runner().handle(
      jobMessage(
        aTrainingJob({
          modelId: 'kf-off',
          datasets,
          profile: convexProfile({ keptFactor: false }),
        }),
      ),
    );
    expect((out as { result: UnlearningResultDataV1 }).result.kind).toBe('trained');
    const { result, log } = await unlearn(w, 'kf-off', 'u1', 1);
    expect(log.join('\n')).not.toContain('kept convex factor');
    expect(await w.chainStore.getFactor(ModelId('kf-off'), 1)).toBeNull();
    expect(await w.chainStore.getFactor(ModelId('kf-off'), 2)).toBeNull();
    const solver = solverOf(await verify(w, result.certificate));
    expect(solver).toMatchObject({ check: 'float64' });
    expect(solver).not.toHaveProperty('factor');
  });
});
