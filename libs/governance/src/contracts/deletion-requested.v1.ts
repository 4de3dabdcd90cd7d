import { z } from 'zod/v4';

/**
 * `lethe.deletion.requested.v1` (CloudEvents 1.0, structured JSON): a request to forget a data
 * subject, on Kafka topic `lethe.deletion-requests.v1` and `POST /v1/deletion-requests`
 * (docs/contracts.md §3). The pair (`source`, `id`) is the idempotency key. This zod schema is
 * the one contract: both doors validate with it (DeletionRequestValidator) and the OpenAPI
 * document's request body of `POST /v1/deletion-requests` is generated from it. zod 4 (`zod/v4`):
 * the intake is a hot path, and zod 4 parses this event several times faster than zod 3
 * (docs/benchmarks.md, "Governance intake", validation cost per event).
 *
 * Unknown top-level attributes (CloudEvents extensions) are accepted and dropped; `data` and
 * `data.scope` are closed.
 */
export const DELETION_REQUESTED_TYPE = 'lethe.deletion.requested.v1';

const id = (max: number) => z.string().min(1).max(max);
/** RFC 3339 date-time with `Z` or an offset. */
const instant = z.iso.datetime({ offset: true });
const uniqueIds = (max: number) =>
  z
    .array(id(200))
    .min(1)
    .max(max)
    .refine((a) => new Set(a).size === a.length, 'must not have duplicate items')
    .meta({ uniqueItems: true });

export const deletionRequestedScopeSchema = z.strictObject({
  datasetIds: uniqueIds(100).optional(),
  recordIds: uniqueIds(10_000).optional(),
});

export const deletionRequestedDataSchema = z.strictObject({
  subjectId: id(200).describe('the data subject to forget (pseudonymised on receipt)'),
  scope: deletionRequestedScopeSchema
    .optional()
    .describe('absent: every dataset holding the subject'),
  legalBasis: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
    .describe('gdpr-* / ccpa-* set the statutory deadline; anything else needs data.deadline'),
  deadline: instant.optional(),
});

export const deletionRequestedSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: id(200).describe('CloudEvents id; (source, id) is the idempotency key'),
    source: id(500),
    type: z.literal(DELETION_REQUESTED_TYPE),
    subject: id(200).optional().describe('if present, equals data.subjectId'),
    time: instant.optional(),
    datacontenttype: z.literal('application/json').optional(),
    dataschema: z.url().optional(),
    data: deletionRequestedDataSchema,
  })
  .meta({ id: 'DeletionRequestedCloudEvent' });

/** The inbound CloudEvent as the schema outputs it. */
export type DeletionRequestedCloudEvent = z.output<typeof deletionRequestedSchema>;
