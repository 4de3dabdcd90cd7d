import { z } from 'zod';
import {
  UNLEARNING_RESULT_TYPE_V1,
  unlearningResultMessageId,
  type UnlearningResultDataV1,
  type UnlearningResultMessageV1,
} from '@lethe/shared';
import { GovernanceError } from '../../domain/governance.errors';

/**
 * The shape of a result message on `lethe.unlearning-results.v1` (`UnlearningResultMessageV1` in
 * @lethe/shared, docs/contracts.md §2.1), checked before anything is done with it. Unknown
 * fields are allowed (a v1 producer may add optional ones); known ones must have their type.
 */
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/, 'an id');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
const instant = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an RFC 3339 date-time')
  .pipe(z.string());
const version = z.number().int().min(0);
const count = z.number().int().min(0);

const base = {
  jobId: id,
  modelId: id,
  attempt: z.number().int().min(1),
  workerId: z.string().min(1).max(200),
  at: instant,
};

const resultDataSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('started'), ...base }),
  z.object({
    kind: z.literal('progress'),
    ...base,
    seq: z.number().int().min(1),
    stage: z.enum([
      'loading',
      'training',
      'inverse-hvp',
      'retraining',
      'evaluating',
      'signing',
      'storing',
    ]),
    done: count,
    total: count.nullable(),
  }),
  z.object({
    kind: z.literal('succeeded'),
    ...base,
    method: z.enum(['newton-lissa', 'convex-newton', 'retrain', 'sisa-shard', 'no-op']),
    versionBefore: version,
    versionAfter: version,
    digestBefore: sha256Hex,
    digestAfter: sha256Hex,
    certificateId: id,
    certificate: z
      .string()
      .min(1)
      .max(256 * 1024),
    reason: z.string().max(2000).optional(),
  }),
  z.object({
    kind: z.literal('trained'),
    ...base,
    version: z.number().int().min(1),
    digest: sha256Hex,
    metrics: z.record(z.number().finite()),
  }),
  z.object({
    kind: z.literal('needs-retrain'),
    ...base,
    code: z.string().min(1).max(100),
    reason: z.string().min(1).max(2000),
  }),
  z.object({
    kind: z.literal('failed'),
    ...base,
    code: z.string().min(1).max(100),
    reason: z.string().min(1).max(2000),
    retryable: z.boolean(),
  }),
]);

const resultMessageSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.literal(UNLEARNING_RESULT_TYPE_V1),
  subject: z.string().min(1),
  time: instant,
  datacontenttype: z.literal('application/json').optional(),
  data: resultDataSchema,
});

const invalid = (reason: string, details: Record<string, unknown> = {}): GovernanceError =>
  new GovernanceError('RESULT_INVALID', reason, details);

/**
 * Parses and checks one message value: JSON, the v1 shape, the CloudEvents id
 * (`jobId/attempt/kind[/seq]`), the subject (the model id) and the Kafka key (the model id, when
 * given). Throws RESULT_INVALID with what is wrong.
 */
export function parseJobResultMessage(
  value: Buffer | string | null,
  key: string | null,
): UnlearningResultMessageV1 {
  if (value === null) throw invalid('the message has no value');
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (e) {
    throw invalid(`not JSON: ${(e as Error).message}`);
  }
  const parsed = resultMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw invalid(
      `not a ${UNLEARNING_RESULT_TYPE_V1}: ${parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  const message = parsed.data as unknown as UnlearningResultMessageV1;
  const data: UnlearningResultDataV1 = message.data;
  const expectedId = unlearningResultMessageId(data);
  if (message.id !== expectedId) {
    throw invalid(`the CloudEvents id must be ${expectedId}, not ${message.id}`, { expectedId });
  }
  if (message.subject !== data.modelId && message.subject !== `model/${data.modelId}`) {
    throw invalid(`the subject ${message.subject} is not the model ${data.modelId}`);
  }
  if (key !== null && key !== data.modelId) {
    throw invalid(`the Kafka key ${key} is not the model ${data.modelId}`);
  }
  return message;
}
