import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { z } from 'zod';
import { decodeCursor, encodeCursor, epochMicrosSchema } from '@lethe/shared/application';
import { CERTIFICATE_INDEX, type CertificateIndex } from '../../ports/certificate-index.port';
import { ListCertificatesQuery, type CertificatePage } from './list-certificates.query';

const cursorSchema = z.object({ t: epochMicrosSchema, i: z.number().int().nonnegative() }).strict();

@QueryHandler(ListCertificatesQuery)
export class ListCertificatesHandler implements IQueryHandler<ListCertificatesQuery> {
  constructor(@Inject(CERTIFICATE_INDEX) private readonly index: CertificateIndex) {}

  async execute(q: ListCertificatesQuery): Promise<CertificatePage> {
    const after = q.cursor ? decodeCursor(cursorSchema, q.cursor) : undefined;
    const rows = await this.index.list({
      ...q.filters,
      ...(after ? { after: { issuedAtMicros: after.t, leafIndex: after.i } } : {}),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ issuedAtMicros: _t, ...item }) => item),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ t: last.issuedAtMicros, i: last.leafIndex })
          : null,
    };
  }
}
