import { Controller, Get, Inject, Optional, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CodedError } from '@lethe/shared';
import { parseRequest, Roles } from '@lethe/shared/infrastructure/http';
import { SUBJECT_REF_PATTERN } from '../../../domain/certificate/validate-certificate-payload';
import { SUBJECT_REF_OF, type SubjectRefOf } from '../../ports/certificate-index.port';
import { ListCertificatesQuery, type CertificatePage } from './list-certificates.query';

const METHODS = ['newton-lissa', 'convex-newton', 'retrain', 'sisa-shard', 'no-op'] as const;
const GUARANTEES = ['certified', 'exact', 'none'] as const;

const csv = <T extends z.ZodTypeAny>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').filter((x) => x.length > 0))
    .pipe(z.array(item).min(1).max(20));

const instant = z.string().datetime({ offset: true });

export const listCertificatesQuerySchema = z
  .object({
    modelId: z.string().min(1).max(200).optional(),
    /** Pseudonymous subject reference(s), `sr1_…`. */
    subjectRef: csv(z.string().regex(SUBJECT_REF_PATTERN, 'a subject ref sr1_…')).optional(),
    /** A raw subject id: HMAC'd here, never stored or echoed. */
    subjectId: z.string().min(1).max(500).optional(),
    from: instant.optional(),
    to: instant.optional(),
    method: csv(z.enum(METHODS)).optional(),
    guaranteeType: csv(z.enum(GUARANTEES)).optional(),
    cursor: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

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
  @ApiQuery({ name: 'modelId', required: false })
  @ApiQuery({ name: 'subjectRef', required: false, description: 'sr1_… (comma-separated)' })
  @ApiQuery({
    name: 'subjectId',
    required: false,
    description: 'raw subject id, turned into its subject ref server-side (never stored)',
  })
  @ApiQuery({ name: 'from', required: false, description: 'issuedAt ≥ from (RFC 3339)' })
  @ApiQuery({ name: 'to', required: false, description: 'issuedAt < to (RFC 3339)' })
  @ApiQuery({ name: 'method', required: false, description: METHODS.join(' | ') })
  @ApiQuery({ name: 'guaranteeType', required: false, description: GUARANTEES.join(' | ') })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1..200, default 50' })
  async list(@Query() query: unknown): Promise<CertificatePage> {
    const q = parseRequest(listCertificatesQuerySchema, query, 'query');
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
