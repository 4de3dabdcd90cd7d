import { z } from 'zod';
import {
  TRAINING_JOB_TYPE_V1,
  UNLEARNING_JOB_TYPE_V1,
  type TrainingJobDataV1,
  type UnlearningJobDataV1,
} from '@lethe/shared';

/*
 * The job messages on lethe.unlearning-jobs.v1 (docs/contracts.md §2.1; types in
 * libs/shared/src/contracts/unlearning-job.v1.ts), validated at the worker's door. The message is
 * untrusted input: every field is checked before anything is read or computed.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'an id ([A-Za-z0-9._:-], ≤ 128)');
const recordRef = z.object({ datasetId: id, recordId: z.string().min(1).max(256) }).strict();
const jobDataset = z.object({ datasetId: id, source: z.record(z.unknown()).nullable() }).strict();
const attempt = z.number().int().min(1);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'RFC 3339 date-time');

const unlearningData = z
  .object({
    jobId: id,
    modelId: id,
    attempt,
    baseVersion: z.number().int().min(1),
    requestIds: z.array(id).min(1),
    subjectRefs: z.array(z.string().min(1)).min(1),
    records: z.array(recordRef),
    datasets: z.array(jobDataset).optional(),
    deadline: isoTime.nullable(),
    dispatchedAt: isoTime,
    /** Validated against the model's profile by the job (jobProfileSchema), not here. */
    policy: z.record(z.unknown()).optional(),
    policyRevision: z.number().int().min(0).optional(),
  })
  .strict();

const trainingData = z
  .object({
    jobId: id,
    modelId: id,
    attempt,
    version: z.number().int().min(1),
    datasets: z.array(jobDataset).min(1),
    records: z.array(recordRef),
    excludedRecords: z.array(recordRef).optional(),
    profile: z.record(z.unknown()),
    dispatchedAt: isoTime,
  })
  .strict();

const envelope = <T extends z.ZodTypeAny>(type: string, data: T) =>
  z.object({
    specversion: z.literal('1.0'),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.literal(type),
    subject: z.string().optional(),
    time: z.string().optional(),
    datacontenttype: z.literal('application/json').optional(),
    data,
  });

const unlearningMessage = envelope(UNLEARNING_JOB_TYPE_V1, unlearningData);
const trainingMessage = envelope(TRAINING_JOB_TYPE_V1, trainingData);

/** A job as the worker runs it. */
export type Job =
  | { readonly type: 'unlearning'; readonly data: UnlearningJobDataV1 }
  | { readonly type: 'training'; readonly data: TrainingJobDataV1 };

/** Enough of a refused message to address a `failed` result to it (when it names its job). */
export interface JobAddress {
  readonly jobId: string;
  readonly modelId: string;
  readonly attempt: number;
}

export type ParsedJobMessage =
  | { readonly kind: 'job'; readonly job: Job }
  /** Not a job type this worker knows: skipped (another consumer's, or a newer version). */
  | { readonly kind: 'unknown-type'; readonly type: string | null }
  /** Refused: `address` when the message names its job (a `failed` result goes back to it). */
  | {
      readonly kind: 'invalid';
      readonly reason: string;
      readonly address: JobAddress | null;
    };

const addressOf = (value: unknown): JobAddress | null => {
  const data = (value as { data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object') return null;
  const { jobId, modelId, attempt: a } = data;
  const ok = id.safeParse(jobId).success && id.safeParse(modelId).success;
  if (!ok || typeof a !== 'number' || !Number.isInteger(a) || a < 1) return null;
  return { jobId: jobId as string, modelId: modelId as string, attempt: a };
};

const issues = (e: z.ZodError): string =>
  e.issues
    .slice(0, 10)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/** Parses the bytes of one job message. Never throws. */
export const parseJobMessage = (bytes: Buffer | Uint8Array | string | null): ParsedJobMessage => {
  if (bytes === null) return { kind: 'invalid', reason: 'empty message', address: null };
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return { kind: 'invalid', reason: `not JSON: ${(e as Error).message}`, address: null };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (type === UNLEARNING_JOB_TYPE_V1) {
    const r = unlearningMessage.safeParse(value);
    return r.success
      ? { kind: 'job', job: { type: 'unlearning', data: r.data.data } }
      : { kind: 'invalid', reason: issues(r.error), address: addressOf(value) };
  }
  if (type === TRAINING_JOB_TYPE_V1) {
    const r = trainingMessage.safeParse(value);
    return r.success
      ? { kind: 'job', job: { type: 'training', data: r.data.data } }
      : { kind: 'invalid', reason: issues(r.error), address: addressOf(value) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'not a CloudEvent object', address: null };
  }
  return { kind: 'unknown-type', type: typeof type === 'string' ? type : null };
};
