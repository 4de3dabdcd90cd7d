import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { REQUEST_STATUSES } from '../../domain/deletion-request/deletion-request.state';

/**
 * Response schemas of the governance read routes, for the OpenAPI document (nestjs-zod DTOs over
 * zod schemas, like the request side). They describe the views the query handlers return
 * (`*.view.ts`, `*.query.ts`); an entry of a `history` is open (more fields may be added).
 */
const instant = z.string().datetime();

export const jobProgressSchema = z.object({
  attempt: z.number().int(),
  seq: z.number().int(),
  stage: z.string().describe('training, gradient, lissa, noise, evaluate, store, …'),
  done: z.number(),
  total: z.number().nullable(),
  at: instant,
});

export const historyEntrySchema = z
  .object({
    version: z.number().int().describe('stream version of the event'),
    type: z.string().describe('event type'),
    at: instant,
    status: z.string().describe('status after the event'),
  })
  .passthrough();

export const modelProgressSchema = z.object({
  modelId: z.string(),
  status: z.enum(['pending', 'scheduled', 'unlearning', 'unlearned', 'failed', 'needs-retrain']),
  jobId: z.string().nullable(),
  reason: z.string().nullable(),
  versionAfter: z.number().int().nullable(),
  certificateId: z.string().nullable(),
  method: z
    .string()
    .nullish()
    .describe(
      "the certificate's method once unlearned; for `unlearned`, `reason` is the policy's choice",
    ),
});

/** Why the policy chose the released step's method, from the signed certificate's evidence. */
const policyChoiceSchema = z.object({
  chosen: z.string().describe('the policy method that released the step'),
  tried: z.array(
    z.object({
      method: z.string(),
      outcome: z.enum(['chosen', 'refused']),
      reasons: z.array(z.string()).describe('public reason codes, e.g. private-check-failed'),
    }),
  ),
  reason: z.string().describe('the same in one line of public codes'),
});

const requestCommon = {
  requestId: z.string(),
  sourceEventId: z.string().describe('the CloudEvent id'),
  source: z.string().describe('the CloudEvent source'),
  channel: z.enum(['kafka', 'http']),
  status: z.enum(REQUEST_STATUSES),
  requestedAt: instant,
  receivedAt: instant,
  deadline: instant,
  deadlineBasis: z.enum(['gdpr', 'ccpa', 'event']),
  overdue: z.boolean().describe('past the deadline and not settled'),
  completedAt: instant.nullable(),
};

/** GET /v1/deletion-requests/:id, and a lookup by (source, eventId) for compliance. */
export const deletionRequestViewSchema = z.object({
  ...requestCommon,
  subjectRef: z.string().describe('pseudonymous (HMAC) subject reference, never the raw id'),
  legalBasis: z.string(),
  reason: z.string().nullable(),
  recordsErased: z.boolean(),
  models: z.array(modelProgressSchema.extend({ jobProgress: jobProgressSchema.nullish() })),
  certificateIds: z.array(z.string()),
  history: z.array(historyEntrySchema),
});

/** What a publisher key that is not bound to sources gets of a request it sent. */
export const deletionRequestReceiptSchema = z.object(requestCommon);

export class DeletionRequestViewDto extends createZodDto(deletionRequestViewSchema) {}

/** The list item (the view without history) and the page. */
export const deletionRequestPageSchema = z.object({
  items: z.array(deletionRequestViewSchema.omit({ history: true })),
  nextCursor: z.string().nullable().describe('pass back as cursor; null on the last page'),
});

export class DeletionRequestPageDto extends createZodDto(deletionRequestPageSchema) {}
export class DeletionRequestReceiptDto extends createZodDto(deletionRequestReceiptSchema) {}

const metrics = z.record(z.number()).nullable().describe('accuracy and the like, by name');

export class ModelViewDto extends createZodDto(
  z.object({
    modelId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    currentVersion: z.number().int(),
    registeredAt: instant,
    queuedRequestIds: z.array(z.string()),
    inFlightJobId: z.string().nullable(),
    versions: z.array(
      z.object({
        version: z.number().int(),
        parentVersion: z.number().int().nullable(),
        origin: z.string(),
        jobId: z.string().nullable(),
        datasetIds: z.array(z.string()),
        recordCount: z.number().int(),
        digest: z.string().describe('training-set digest'),
        registeredAt: instant,
        weightsDigest: z.string().nullable().describe('SHA-256 (hex) of the released weights'),
        certificateId: z.string().nullable(),
        metrics,
      }),
    ),
    training: z
      .object({
        jobId: z.string(),
        version: z.number().int(),
        status: z.string(),
        reason: z.string().nullable(),
        attempt: z.number().int().optional(),
        nextAttemptAt: instant.nullish(),
        progress: jobProgressSchema.nullish(),
      })
      .nullable()
      .describe("Lethe's training of version 1; null: trained elsewhere"),
    policy: z
      .object({ revision: z.number().int() })
      .passthrough()
      .nullable()
      .describe('the unlearning policy in force (defaults filled in) and its revision'),
    jobs: z.array(
      z.object({
        jobId: z.string(),
        status: z.string(),
        attempt: z.number().int(),
        requestCount: z.number().int(),
        reason: z.string().nullable(),
        scheduledAt: instant,
      }),
    ),
  }),
) {}

export class ModelVersionViewDto extends createZodDto(
  z.object({
    modelId: z.string(),
    version: z.number().int(),
    digest: z.string().describe('SHA-256 (hex) of the weights file'),
    parentDigest: z.string().nullable(),
    sizeBytes: z.number().int(),
    format: z.string(),
    trainingProfile: z.record(z.unknown()),
    storedAt: instant,
    certificateIds: z.array(z.string()),
    lineage: z
      .object({
        origin: z.string(),
        parentVersion: z.number().int().nullable(),
        jobId: z.string().nullable(),
        datasetIds: z.array(z.string()),
        recordCount: z.number().int(),
        trainingSetDigest: z.string(),
        weightsDigest: z.string().nullable(),
        metrics,
        registeredAt: instant,
      })
      .nullable(),
  }),
) {}

export class JobViewDto extends createZodDto(
  z.object({
    kind: z.enum(['unlearning', 'training']),
    jobId: z.string(),
    modelId: z.string(),
    status: z.string(),
    attempt: z.number().int(),
    attemptsInRound: z.number().int(),
    maxAttempts: z.number().int(),
    baseVersion: z.number().int(),
    requestIds: z.array(z.string()),
    nextAttemptAt: instant.nullable(),
    reason: z.string().nullable(),
    versionAfter: z.number().int().nullable(),
    certificateId: z.string().nullable(),
    scheduledAt: instant,
    history: z.array(historyEntrySchema),
    progress: jobProgressSchema.nullable(),
    method: z.string().nullable().describe("the released certificate's method"),
    policy: policyChoiceSchema.nullable(),
    lastRefusal: z
      .object({
        attempt: z.number().int(),
        messageId: z.string(),
        code: z.string(),
        reason: z.string(),
        at: instant,
      })
      .nullable(),
    versionToTrain: z.number().int().optional(),
  }),
) {}
