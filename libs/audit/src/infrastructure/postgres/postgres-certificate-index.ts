import type { DataSource } from 'typeorm';
import type {
  CertificateIndex,
  CertificateIndexFilters,
  IndexedCertificate,
} from '../../application/ports/certificate-index.port';

interface Row {
  certificate_id: string;
  leaf_index: string;
  issued_at: Date;
  issued_us: string;
  model_id: string | null;
  method: string;
  guarantee_type: string;
  subject_refs: string[];
  request_ids: string[];
  jws: string;
}

/**
 * audit_certificates (migration ComplianceQueries1796100000000): filled in the database, by a
 * trigger on audit_entries, from each certificate's signed payload. Keyset pagination on
 * (issued_at, leaf_index), which audit_certificates_issued_idx and _model_idx serve; subject refs
 * through the GIN index.
 */
export class PostgresCertificateIndex implements CertificateIndex {
  constructor(private readonly dataSource: DataSource) {}

  async list(f: CertificateIndexFilters): Promise<IndexedCertificate[]> {
    const params: unknown[] = [];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (f.modelId !== undefined) where.push(`c.model_id = ${bind(f.modelId)}`);
    if (f.subjectRefs?.length) where.push(`c.subject_refs && ${bind(f.subjectRefs)}::text[]`);
    if (f.from) where.push(`c.issued_at >= ${bind(f.from)}`);
    if (f.to) where.push(`c.issued_at < ${bind(f.to)}`);
    if (f.methods?.length) where.push(`c.method = ANY(${bind(f.methods)}::text[])`);
    if (f.guaranteeTypes?.length) {
      where.push(`c.guarantee_type = ANY(${bind(f.guaranteeTypes)}::text[])`);
    }
    if (f.after) {
      where.push(
        `(c.issued_at, c.leaf_index) > (timestamptz 'epoch' + ${bind(f.after.issuedAtMicros)}::bigint * interval '1 microsecond', ${bind(f.after.leafIndex)}::bigint)`,
      );
    }
    const rows = await this.dataSource.query<Row[]>(
      `SELECT c.certificate_id, c.leaf_index, c.issued_at,
              (extract(epoch FROM c.issued_at) * 1000000)::bigint::text AS issued_us,
              c.model_id, c.method, c.guarantee_type, c.subject_refs, c.request_ids,
              convert_from(e.data, 'UTF8')::jsonb ->> 'jws' AS jws
         FROM audit_certificates c JOIN audit_entries e ON e.leaf_index = c.leaf_index
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY c.issued_at, c.leaf_index
        LIMIT ${bind(f.limit)}`,
      params,
    );
    return rows.map((r) => ({
      certificateId: r.certificate_id,
      leafIndex: Number(r.leaf_index),
      issuedAt: r.issued_at.toISOString(),
      issuedAtMicros: r.issued_us,
      modelId: r.model_id,
      method: r.method,
      guaranteeType: r.guarantee_type,
      subjectRefs: r.subject_refs,
      requestIds: r.request_ids,
      jws: r.jws,
    }));
  }
}
