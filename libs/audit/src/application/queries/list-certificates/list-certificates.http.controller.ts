import { Controller, Get, Inject, Optional, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CodedError } from '@lethe/shared';
import { Roles, ZodRequestPipe } from '@lethe/shared/infrastructure/http';
import { SUBJECT_REF_PATTERN } from '../../../domain/certificate/validate-certificate-payload';
import { SUBJECT_REF_OF, type SubjectRefOf } from '../../ports/certificate-index.port';
import { ListCertificatesQuery, type CertificatePage } from './list-certificates.query';

const METHODS = ['newton-lissa', 'convex-newton', 'retrain', 'sisa-shard', 'no-op'] as const;
const GUARANTEES = ['certified', 'exact', 'none'] as const;

/**
 * A comma-separated list of items matching `item` (a regex source): one string in OpenAPI, a
 * string array once parsed.
 */
const csv = (item: string, what: string) =>
  z
    .string()
    .max(2000)
    .regex(new RegExp(`^(?:${item})(?:,(?:${item})){0,19}$`), `comma-separated ${what} (≤ 20)`)
    .transform((s) => s.split(','));
const oneOf = (values: readonly string[]) =>
  values.map((v) => v.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|');

const instant = z.string().datetime({ offset: true });

export const listCertificatesQuerySchema = z
  .object({
    modelId: z.string().min(1).max(200).optional(),
    subjectRef: csv(SUBJECT_REF_PATTERN.source.replace(/^\^|\$$/g, ''), 'subject refs sr1_…')
      .optional()
      .describe('pseudonymous subject reference(s) sr1_…, comma-separated'),
    subjectId: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('a raw subject id, turned into its subject ref on the server, never stored'),
    from: instant.optional().describe('issuedAt ≥ from (RFC 3339)'),
    to: instant.optional().describe('issuedAt < to (RFC 3339)'),
    method: csv(oneOf(METHODS), 'methods')
      .optional()
      .describe(`comma-separated: ${METHODS.join(', ')}`),
    guaranteeType: csv(oneOf(GUARANTEES), 'guarantee types')
      .optional()
      .describe(`comma-separated: ${GUARANTEES.join(', ')}`),
    cursor: z.string().min(1).max(500).optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, 1..200'),
  })
  .strict();

class ListCertificatesQueryDto extends createZodDto(listCertificatesQuerySchema) {}

export const certificatePageSchema = z.object({
  items: z.array(
    z.object({
      certificateId: z.string(),
      leafIndex: z.number().int().describe('Merkle leaf index in the audit log'),
      issuedAt: z.string().datetime(),
      modelId: z.string().nullable().describe('null for a no-op certificate'),
      method: z.enum(METHODS),
      guaranteeType: z.enum(GUARANTEES),
      subjectRefs: z.array(z.string()),
      requestIds: z.array(z.string()),
      jws: z.string().describe('the compact JWS (EdDSA); verify with /.well-known/jwks.json'),
    }),
  ),
  nextCursor: z.string().nullable().describe('pass back as cursor; null on the last page'),
});

class CertificatePageDto extends createZodDto(certificatePageSchema) {}

@ApiTags('audit')
@Controller('v1/certificates')
export class ListCertificatesHttpController {
  constructor(
    private readonly queryBus: QueryBus,
    @Optional() @Inject(SUBJECT_REF_OF) private readonly subjectRefOf?: SubjectRefOf,
  ) {}

  @Get()
  @Roles('compliance', 'auditor')
  @ApiOperation({
    summary:
      'Certificates of the audit log in (issuedAt, leaf index) order, filtered, cursor-paginated',
  })
  @ApiOkResponse({ type: CertificatePageDto })
  async list(@Query(ZodRequestPipe) q: ListCertificatesQueryDto): Promise<CertificatePage> {
    const refs = [...(q.subjectRef ?? [])];
    if (q.subjectId !== undefined) {
      if (!this.subjectRefOf) {
        throw new CodedError(
          'SUBJECT_ID_UNSUPPORTED',
          'validation',
          'this service cannot pseudonymise subject ids; filter by subjectRef',
        );
      }
      refs.push(this.subjectRefOf(q.subjectId));
    }
    return this.queryBus.execute(
      new ListCertificatesQuery(
        {
          ...(q.modelId !== undefined ? { modelId: q.modelId } : {}),
          ...(refs.length > 0 ? { subjectRefs: refs } : {}),
          ...(q.from ? { from: new Date(q.from) } : {}),
          ...(q.to ? { to: new Date(q.to) } : {}),
          ...(q.method ? { methods: q.method } : {}),
          ...(q.guaranteeType ? { guaranteeTypes: q.guaranteeType } : {}),
        },
        q.limit,
        q.cursor,
      ),
    );
  }
}
