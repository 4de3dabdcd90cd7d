import { readdirSync, readFileSync, statSync } from 'node:fs';
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
