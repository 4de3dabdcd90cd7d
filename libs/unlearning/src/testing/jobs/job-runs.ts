import { compactVerify, createLocalJWKSet, type CompactJWSHeaderParameters } from 'jose';
import type { TrainingJobDataV1, UnlearningJobDataV1, UnlearningResultDataV1 } from '@lethe/shared';
import type { CertificatePayload } from '@lethe/audit/domain/certificate/certificate-payload';
import { validateCertificatePayload } from '@lethe/audit/domain/certificate/validate-certificate-payload';
import type { Dataset } from '../../application/model/dataset';
import { aTrainingJob, jobMessage, writeNdjsonSource, type WorkerFixture } from './job-factories';

/*
 * Test factories for running jobs on a worker fixture and reading what they published (not
 * exported from the library).
 */

export type Succeeded = Extract<UnlearningResultDataV1, { kind: 'succeeded' }>;
export type Trained = Extract<UnlearningResultDataV1, { kind: 'trained' }>;
export type JobDatasets = UnlearningJobDataV1['datasets'];

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
