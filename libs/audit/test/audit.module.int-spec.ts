import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import { compactVerify, createLocalJWKSet } from 'jose';
import request from 'supertest';
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
  let http: INestApplication;
  const AUDITOR = 'auditor-key-0123456789';
  const PUBLISHER = 'publisher-key-0123456789';

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
      providers: [
        {
          provide: ApiKeyRegistry,
          useValue: new ApiKeyRegistry([
            { name: 'auditor', key: AUDITOR, roles: ['auditor'] },
            { name: 'crm', key: PUBLISHER, roles: ['publisher'] },
          ]),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    }).compile();
    http = app.createNestApplication();
    await http.init();
  });

  afterAll(async () => {
    await http?.close();
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

  it('serves the routes: certificate (compliance, auditor), checkpoint and consistency (any role), JWKS (public)', async () => {
    const signer = app.get<AuditSigner>(AUDIT_SIGNER);
    const cert = aNoOpCertificate();
    await app
      .get(CommandBus)
      .execute(new AppendCertificateCommand(await signer.signCertificate(cert)));
    const auth = { Authorization: `Bearer ${AUDITOR}` };

    const jwks = await request(http.getHttpServer()).get('/.well-known/jwks.json').expect(200);
    const byKid = createLocalJWKSet(jwks.body as Parameters<typeof createLocalJWKSet>[0]);
    const got = await request(http.getHttpServer())
      .get(`/v1/certificates/${cert.certificateId}`)
      .set(auth)
      .expect(200);
    const body = got.body as {
      jws: string;
      payload: unknown;
      inclusionProof: { leafIndex: number };
    };
    expect(body.payload).toEqual(cert);
    await expect(compactVerify(body.jws, byKid)).resolves.toBeDefined();

    await request(http.getHttpServer()).get(`/v1/certificates/${cert.certificateId}`).expect(401);
    await request(http.getHttpServer())
      .get(`/v1/certificates/${cert.certificateId}`)
      .set({ Authorization: `Bearer ${PUBLISHER}` })
      .expect(403);
    const missing = await request(http.getHttpServer())
      .get('/v1/certificates/cert-none')
      .set(auth)
      .expect(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });

    const checkpoint = await request(http.getHttpServer())
      .get('/v1/audit/checkpoint')
      .set({ Authorization: `Bearer ${PUBLISHER}` })
      .expect(200);
    expect(checkpoint.body).toMatchObject({ treeSize: 3 });
    await request(http.getHttpServer())
      .get('/v1/audit/consistency?from=1&to=3')
      .set(auth)
      .expect(200);
    const bad = await request(http.getHttpServer())
      .get('/v1/audit/consistency?from=x&to=3')
      .set(auth)
      .expect(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_PROOF_REQUEST' });
    await request(http.getHttpServer())
      .get('/v1/audit/consistency?from=2&to=9')
      .set(auth)
      .expect(400);
  });
});
