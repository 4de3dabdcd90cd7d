import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AUDIT_SIGNER,
  AppendCertificateCommand,
  AuditModule,
  GetCertificateQuery,
  GetCheckpointQuery,
  GetConsistencyProofQuery,
  KeyRing,
  generateEd25519,
  type AuditSigner,
} from '../src';
import { aCertifiedCertificate, aNoOpCertificate } from '../src/testing/certificate.factory';

/** The Nest wiring the governance service will import: commands and queries through the buses. */
describe('AuditModule (Nest + TypeORM on a real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: TestingModule;

  beforeAll(async () => {
    db = await createTestDatabase('audit_mod');
    const { privateKey, publicKey } = generateEd25519();
    app = await Test.createTestingModule({
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, synchronize: false }),
        AuditModule.forRoot({
          origin: 'lethe.audit/module-test',
          keyRing: KeyRing.of([
            {
              kid: 'k1',
              notBefore: new Date('2026-01-01T00:00:00Z'),
              notAfter: null,
              privateKey,
              publicKey,
            },
          ]),
        }),
      ],
    }).compile();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('appends through the command bus and serves certificate, checkpoint and consistency through the query bus', async () => {
    const signer = app.get<AuditSigner>(AUDIT_SIGNER);
    const commands = app.get(CommandBus);
    const queries = app.get(QueryBus);
    const first = aCertifiedCertificate();
    const second = aNoOpCertificate();
    for (const cert of [first, second]) {
      await commands.execute(new AppendCertificateCommand(await signer.signCertificate(cert)));
    }
    const view = await queries.execute(new GetCertificateQuery(first.certificateId));
    expect(view).toMatchObject({
      certificateId: first.certificateId,
      payload: first,
      inclusionProof: { leafIndex: 0, treeSize: 2 },
    });
    await expect(queries.execute(new GetCheckpointQuery())).resolves.toMatchObject({ treeSize: 2 });
    await expect(queries.execute(new GetConsistencyProofQuery(1, 2))).resolves.toMatchObject({
      from: 1,
      to: 2,
    });
    expect(signer.jwks().keys.map((k) => k.kid)).toEqual(['k1']);
  });
});
