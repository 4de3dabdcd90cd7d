import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import {
  AppendCertificateCommand,
  AppendCertificateHandler,
  JoseAuditSigner,
  KeyRing,
  PostgresAuditLogStore,
  generateEd25519,
  type CertificatePayload,
} from '@lethe/audit';
import {
  aCertifiedCertificate,
  aNoOpCertificate,
  anExactCertificate,
} from '@lethe/audit/testing/certificate.factory';
import { DataSource } from 'typeorm';
import { AuditCertificateFacts1796500000000 } from '../../../migrations/1796500000000-AuditCertificateFacts';
import { certificateFactsOf } from '../src/application/queries/get-compliance-summary/certificate-facts';
import { readCertificateFacts } from '../src/application/queries/get-compliance-summary/get-compliance-summary.handler';

/**
 * The compliance summary reads its certificate facts from audit_certificates (filled by the
 * database when a certificate is appended; migration AuditCertificateFacts1796500000000) instead
 * of decoding every JWS on every call. On a real PostgreSQL: the columns give exactly what
 * certificateFactsOf reads from the signed payload, for appended certificates and for those the
 * migration backfills.
 */
jest.setTimeout(120_000);

describe('compliance summary: certificate facts from audit_certificates', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let signer: JoseAuditSigner;
  let append: AppendCertificateHandler;

  beforeEach(async () => {
    db = await createTestDatabase('summary_facts');
    dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 2, logging: false });
    await dataSource.initialize();
    const { privateKey, publicKey } = generateEd25519();
    signer = new JoseAuditSigner(
      KeyRing.of([
        { kid: 'k1', notBefore: new Date('2026-01-01Z'), notAfter: null, privateKey, publicKey },
      ]),
    );
    const now = () => new Date('2026-11-29T12:00:00Z');
    append = new AppendCertificateHandler(new PostgresAuditLogStore(dataSource), signer, {
      origin: 'lethe.audit/test',
      now,
    });
  });

  afterEach(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const certificates = (): CertificatePayload[] => [
    aCertifiedCertificate({
      certificateId: 'cert-certified',
      issuedAt: '2026-11-29T12:00:00.123Z',
      sequence: {
        index: 3,
        previousCertificateDigest: 'a'.repeat(64),
        cumulativeEpsilon: 2.5,
        cumulativeDelta: 3e-5,
      },
    }),
    aCertifiedCertificate({
      certificateId: 'cert-test-accuracy',
      evidence: { accuracy: { before: 0.93, test: { accuracy: 0.88, loss: 0.3 } } },
    }),
    aCertifiedCertificate({
      certificateId: 'cert-private-accuracy',
      evidence: { accuracy: { forget: { accuracy: 0.99 }, retain: { accuracy: 0.97 } } },
    }),
    anExactCertificate({ certificateId: 'cert-exact' }),
    aNoOpCertificate({ certificateId: 'cert-no-op' }),
  ];

  async function appendAll(payloads: readonly CertificatePayload[]): Promise<void> {
    for (const p of payloads) {
      await append.execute(new AppendCertificateCommand(await signer.signCertificate(p)));
    }
  }

  /** What the summary read before: every certificate's JWS decoded from its leaf data. */
  const decodedFromJws = async () =>
    (
      await dataSource.query<{ data: Buffer }[]>(
        `SELECT data FROM audit_entries WHERE kind = 'certificate' ORDER BY leaf_index`,
      )
    ).map((e) => certificateFactsOf(e.data));

  it('gives exactly the facts the JWS decode gives, for every kind of certificate', async () => {
    await appendAll(certificates());
    const fromColumns = await readCertificateFacts(dataSource.manager);
    expect(fromColumns).toHaveLength(5);
    expect(fromColumns).toEqual(await decodedFromJws());
    expect(fromColumns.find((c) => c.certificateId === 'cert-test-accuracy')).toMatchObject({
      accuracyBefore: { value: 0.93, metric: 'certificate:evidence.accuracy.before' },
      accuracyAfter: { value: 0.88, metric: 'certificate:evidence.accuracy.test' },
    });
  });

  it('the migration backfills certificates appended before it; appends after it are filled too', async () => {
    const [first, ...rest] = certificates();
    const runner = dataSource.createQueryRunner();
    const migration = new AuditCertificateFacts1796500000000();
    try {
      await migration.down(runner);
      await appendAll([first!, ...rest.slice(0, 2)]);
      await runner.startTransaction();
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    await appendAll(rest.slice(2));
    const fromColumns = await readCertificateFacts(dataSource.manager);
    expect(fromColumns).toHaveLength(5);
    expect(fromColumns).toEqual(await decodedFromJws());
    // Still append-only after the backfill's one UPDATE.
    await expect(dataSource.query('UPDATE audit_certificates SET epsilon = 0')).rejects.toThrow(
      /append-only/,
    );
  });
});
