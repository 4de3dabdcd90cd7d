import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  TRAINING_JOB_TYPE_V1,
  UNLEARNING_JOB_TYPE_V1,
  type TrainingJobDataV1,
  type UnlearningJobDataV1,
  type UnlearningResultDataV1,
} from '@lethe/shared';
import { silentLogger } from '@lethe/shared/application';
import { generateEd25519 } from '@lethe/audit/infrastructure/jose/ed25519-keys';
import { JoseAuditSigner } from '@lethe/audit/infrastructure/jose/jose-audit-signer';
import { KeyRing } from '@lethe/audit/infrastructure/jose/key-ring';
import type { Dataset } from '../../application/model/dataset';
import type { NumericEngine } from '../../application/ports/numeric-engine';
import type { JobDependencies } from '../../application/jobs/job-context';
import type { ResultSink } from '../../application/jobs/job-ports';
import { JobDataCache } from '../../application/jobs/job-data-cache';
import { KeptFactorCache } from '../../application/jobs/kept-factor-cache';
import { JobRunner } from '../../application/jobs/job-runner';
import { createDatasetSource } from '../../infrastructure/datasets/create-dataset-source';
import { DirectoryJobJournal } from '../../infrastructure/jobs/directory-job-journal';
import { DirectoryModelStore } from '../../infrastructure/model-store/directory-model-store';
import { DirectoryPrivateChainStore } from '../../infrastructure/model-store/directory-private-chain-store';

/*
 * Test factories for the worker's job use cases (not exported from the library). The stores are
 * the real directory adapters in a temp folder (fast, no server); the result sink is in memory.
 */

/** A subject reference as the governance makes them (`sr1_` + 43 base64url characters). */
export const aSubjectRef = (seed = randomUUID()): string =>
  `sr1_${Buffer.from(seed.padEnd(32, '.').slice(0, 32)).toString('base64url')}`;

/** Writes `ds` as an NDJSON file source under `dataRoot`; returns its descriptor. */
export const writeNdjsonSource = (
  dataRoot: string,
  file: string,
  ds: Dataset,
): Record<string, unknown> => {
  const lines: string[] = [];
  for (let i = 0; i < ds.labels.length; i++) {
    lines.push(
      JSON.stringify({
        id: ds.ids[i],
        label: ds.labels[i],
        x: Array.from(ds.features.subarray(i * ds.dim, (i + 1) * ds.dim)),
      }),
    );
  }
  mkdirSync(path.dirname(path.join(dataRoot, file)), { recursive: true });
  writeFileSync(path.join(dataRoot, file), `${lines.join('\n')}\n`);
  return {
    kind: 'file',
    format: 'ndjson',
    path: file,
    recordIdColumn: 'id',
    labelColumn: 'label',
    classCount: ds.classes,
  };
};

export const aTrainingJob = (over: Partial<TrainingJobDataV1> = {}): TrainingJobDataV1 => ({
  jobId: `train-${randomUUID()}`,
  modelId: 'model-a',
  attempt: 1,
  version: 1,
  datasets: [{ datasetId: 'ds', source: { kind: 'mnist', limit: 100 } }],
  records: [],
  profile: {},
  dispatchedAt: '2026-11-29T12:00:00.000Z',
  ...over,
});

export const anUnlearningJob = (over: Partial<UnlearningJobDataV1> = {}): UnlearningJobDataV1 => ({
  jobId: `job-${randomUUID()}`,
  modelId: 'model-a',
  attempt: 1,
  baseVersion: 1,
  requestIds: [`req-${randomUUID()}`],
  subjectRefs: [aSubjectRef()],
  records: [],
  datasets: [],
  deadline: null,
  dispatchedAt: '2026-11-29T12:00:00.000Z',
  ...over,
});

/** The CloudEvent bytes of a job, as the governance's outbox publishes it. */
export const jobMessage = (job: TrainingJobDataV1 | UnlearningJobDataV1): Buffer => {
  const training = 'profile' in job;
  return Buffer.from(
    JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'urn:lethe:governance',
      type: training ? TRAINING_JOB_TYPE_V1 : UNLEARNING_JOB_TYPE_V1,
      subject: `model/${job.modelId}`,
      time: job.dispatchedAt,
      datacontenttype: 'application/json',
      data: job,
    }),
  );
};

/** Collects published results in memory. */
export class MemoryResultSink implements ResultSink {
  readonly results: UnlearningResultDataV1[] = [];
  publish(result: UnlearningResultDataV1): Promise<void> {
    this.results.push(result);
    return Promise.resolve();
  }
  ofKind<K extends UnlearningResultDataV1['kind']>(
    kind: K,
  ): Extract<UnlearningResultDataV1, { kind: K }>[] {
    return this.results.filter(
      (r): r is Extract<UnlearningResultDataV1, { kind: K }> => r.kind === kind,
    );
  }
}

/** A key ring with one fresh Ed25519 key, valid since 2026-01-01. */
export const aKeyRing = (kid = 'test-key'): KeyRing => {
  const { privateKey, publicKey } = generateEd25519();
  return KeyRing.of([
    { kid, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: null, privateKey, publicKey },
  ]);
};

export interface WorkerFixture {
  readonly root: string;
  readonly dataRoot: string;
  readonly modelStore: DirectoryModelStore;
  readonly chainStore: DirectoryPrivateChainStore;
  readonly journal: DirectoryJobJournal;
  readonly signer: JoseAuditSigner;
  readonly sink: MemoryResultSink;
  readonly deps: JobDependencies;
  /** A runner on the fixture's stores (a second call: a second worker on the same stores). */
  runner(over?: Partial<JobDependencies>): JobRunner;
  cleanup(): void;
}

/**
 * Stores in a fresh temp folder, a signer, an in-memory sink and the given engine. With `from`:
 * a copy of that fixture's folder (its data, models, chain states and journal) and its signer,
 * so one trained model serves many tests.
 */
export const aWorkerFixture = async (
  engine: NumericEngine,
  from?: WorkerFixture,
): Promise<WorkerFixture> => {
  const root = mkdtempSync(path.join(tmpdir(), 'lethe-worker-'));
  if (from) cpSync(from.root, root, { recursive: true });
  const dataRoot = path.join(root, 'data');
  mkdirSync(dataRoot, { recursive: true });
  const modelStore = await DirectoryModelStore.open({ root: path.join(root, 'models') });
  const chainStore = await DirectoryPrivateChainStore.open({
    root: path.join(root, 'private'),
    publicRoot: path.join(root, 'models'),
  });
  const journal = await DirectoryJobJournal.open(path.join(root, 'private'));
  const signer = from?.signer ?? new JoseAuditSigner(aKeyRing());
  const sink = new MemoryResultSink();
  const deps: JobDependencies = {
    engine,
    modelStore,
    chainStore,
    journal,
    sink,
    signer,
    sources: (d) => createDatasetSource(d, { dataRoot }),
    // One worker process: its runners share the cache of parsed rows.
    dataCache: new JobDataCache(),
    // And the in-memory copy of each model's last kept convex factor.
    factorCache: new KeptFactorCache(),
    clock: () => new Date(),
    workerId: 'worker-test',
    codeVersion: '0.0.0-test',
    logger: process.env['LETHE_TEST_LOG']
      ? { info: () => undefined, warn: (m) => console.warn(m), error: (m) => console.error(m) }
      : silentLogger,
    progressIntervalMs: 0,
  };
  return {
    root,
    dataRoot,
    modelStore,
    chainStore,
    journal,
    signer,
    sink,
    deps,
    runner: (over = {}) => new JobRunner({ ...deps, ...over }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
};
