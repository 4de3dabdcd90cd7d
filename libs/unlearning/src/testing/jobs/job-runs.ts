import { compactVerify, createLocalJWKSet, type CompactJWSHeaderParameters } from 'jose';
import type { TrainingJobDataV1, UnlearningJobDataV1, UnlearningResultDataV1 } from '@lethe/shared';
import type { CertificatePayload } from '@lethe/audit/domain/certificate/certificate-payload';
import { validateCertificatePayload } from '@lethe/audit/domain/certificate/validate-certificate-payload';
import { makeDataset, type Dataset } from '../../application/model/dataset';
import { logisticData } from '../../infrastructure/data/synthetic';
import { aTrainingJob, jobMessage, writeNdjsonSource, type WorkerFixture } from './job-factories';

/*
 * Test factories for running jobs on a worker fixture and reading what they published (not
 * exported from the library).
 */

export type Succeeded = Extract<UnlearningResultDataV1, { kind: 'succeeded' }>;
export type Trained = Extract<UnlearningResultDataV1, { kind: 'trained' }>;
export type JobDatasets = UnlearningJobDataV1['datasets'];

/**
 * `n` rows of separable logistic data (4 features, `seed`) whose ids are `u<subject>#<i>`: row `i`
 * belongs to subject `u<i mod subjects>` (60 subjects of 5 records each by default).
 * `recordsOf(subject)` names that subject's records the way a job does (dataset `datasetId`).
 */
export const subjectRecords = (
  seed: string,
  o: { readonly n?: number; readonly subjects?: number; readonly datasetId?: string } = {},
) => {
  const subjects = o.subjects ?? 60;
  const base = logisticData({ n: o.n ?? 300, dim: 4, seed, maxNorm: 1.5, signal: 5 });
  const data = makeDataset({ ...base, ids: base.ids.map((_, i) => `u${i % subjects}#${i}`) });
  const recordsOf = (subject: string) =>
    data.ids
      .filter((id) => id.startsWith(`${subject}#`))
      .map((recordId) => ({ datasetId: o.datasetId ?? 'ds', recordId }));
  return { data, recordsOf };
};

/** The L2 strength (λ) and solver tolerance of `aConvexProfile`. */
export const CONVEX_L2 = 0.05;
export const CONVEX_TOLERANCE = 1e-4;

/**
 * A convex-newton profile (logistic regression, λ = CONVEX_L2) that falls back to retrain;
 * `convex` is merged into `policy.convex`, then `policy` into the policy.
 */
export const aConvexProfile = (
  o: { readonly policy?: Record<string, unknown>; readonly convex?: Record<string, unknown> } = {},
) => ({
  architecture: { kind: 'logistic-regression' },
  recipe: { l2: CONVEX_L2, seed: 3 },
  policy: {
    methods: ['convex-newton', 'retrain'],
    target: { epsilon: 1, delta: 1e-5 },
    convex: { tolerance: CONVEX_TOLERANCE, ...o.convex },
    ...o.policy,
  },
});

/** `data` as one dataset of a job (`datasetId`), its NDJSON file source in the fixture's data root. */
export const aSourcedDataset = (f: WorkerFixture, data: Dataset, datasetId = 'ds'): JobDatasets => [
  { datasetId, source: writeNdjsonSource(f.dataRoot, `${datasetId}.ndjson`, data) },
];

/**
 * Runs a training job (`aTrainingJob(job)`) on the fixture's runner and returns its result; throws
 * when the job was not published as `trained` (the message says what came back instead).
 */
export const trainOn = async (
  f: WorkerFixture,
  job: Partial<TrainingJobDataV1>,
): Promise<Trained> => {
  const out = await f.runner().handle(jobMessage(aTrainingJob(job)));
  if (out.kind !== 'published' || out.result.kind !== 'trained') {
    throw new Error(`training was not published as trained: ${JSON.stringify(out)}`);
  }
  return out.result;
};

/**
 * A certificate verified against the fixture signer's JWKS (an independent `jose` call) and its
 * payload validated; rejects when either fails.
 */
export const verifyCertificate = async (
  f: WorkerFixture,
  jws: string,
): Promise<{ payload: CertificatePayload; header: CompactJWSHeaderParameters }> => {
  const { payload, protectedHeader } = await compactVerify(
    jws,
    createLocalJWKSet({ keys: [...f.signer.jwks().keys] }),
  );
  return {
    payload: validateCertificatePayload(JSON.parse(Buffer.from(payload).toString('utf8'))),
    header: protectedHeader,
  };
};
