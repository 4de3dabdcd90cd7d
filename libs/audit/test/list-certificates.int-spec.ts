import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AUDIT_SIGNER,
  AppendCertificateCommand,
  AppendOutcomeCommand,
  AuditModule,
  KeyRing,
  generateEd25519,
  type AuditSigner,
  type CertificatePage,
  type CertificatePayload,
} from '../src';
import {
  aCertifiedCertificate,
  aNoOpCertificate,
  anExactCertificate,
  subjectRefFor,
} from '../src/testing/certificate.factory';

jest.setTimeout(120_000);

/** Test pseudonymiser: the factory's refs, so `subjectId=` can be checked against them. */
const subjectRefOf = (id: string) => subjectRefFor(id);

/**
 * GET /v1/certificates on a real PostgreSQL: the index the database derives from the log's
 * certificates (trigger on audit_entries), its filters, its stable order and its cursor.
 */
describe('GET /v1/certificates (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let http: INestApplication;
  const AUDITOR = 'auditor-key-0123456789';
  const certs: CertificatePayload[] = [];
  const auth = { Authorization: `Bearer ${AUDITOR}` };
  const list = async (query: Record<string, string | number>) => {
    const res = await request(http.getHttpServer()).get('/v1/certificates').query(query).set(auth);
    return res;
  };
  /** Every page of a listing, following nextCursor. */
  const all = async (query: Record<string, string | number>) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list({ ...query, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      const page = res.body as CertificatePage;
      ids.push(...page.items.map((i) => i.certificateId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    return { ids, pages };
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_list');
    const { privateKey, publicKey } = generateEd25519();
    app = await Test.createTestingModule({
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, synchronize: false }),
        AuditModule.forRoot({
          origin: 'lethe.audit/list-test',
          keyRing: KeyRing.of([
            { kid: 'k1', notBefore: new Date('2026-01-01'), notAfter: null, privateKey, publicKey },
          ]),
          subjectRefOf,
        }),
      ],
      providers: [
        {
          provide: ApiKeyRegistry,
          useValue: new ApiKeyRegistry([{ name: 'aud', key: AUDITOR, roles: ['auditor'] }]),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    }).compile();
    http = app.createNestApplication({ logger: ['error'] });
    await http.init();

    // 12 certificates: three methods, two models, two subjects, issued over four days with ties
    // (same issuedAt), appended out of issuedAt order; plus an outcome entry (not a certificate).
    const signer = app.get<AuditSigner>(AUDIT_SIGNER);
    const days = ['2026-11-03', '2026-11-01', '2026-11-02', '2026-11-01'];
    for (let i = 0; i < 12; i += 1) {
      const issuedAt = `${days[i % 4]}T12:00:00.000Z`;
      const subjectRefs = [subjectRefFor(i % 2 === 0 ? 'alice' : 'bob')];
      const model = {
        modelId: i % 3 === 0 ? 'model-a' : 'model-b',
        versionBefore: i + 1,
        versionAfter: i + 2,
        digestBefore: 'a'.repeat(64),
        digestAfter: 'b'.repeat(64),
      };
      const cert =
        i % 4 === 3
          ? aNoOpCertificate({ issuedAt, subjectRefs })
          : i % 2 === 0
            ? aCertifiedCertificate({ issuedAt, subjectRefs, model })
            : anExactCertificate({ issuedAt, subjectRefs, model });
      certs.push(cert);
      await app
        .get(CommandBus)
        .execute(new AppendCertificateCommand(await signer.signCertificate(cert)));
    }
    await app
      .get(CommandBus)
      .execute(
        new AppendOutcomeCommand(
          'req-none',
          'no-records',
          ['req-none'],
          [subjectRefFor('carol')],
          new Date('2026-11-02T00:00:00Z'),
        ),
      );
  });

  afterAll(async () => {
    await http?.close();
    await db?.drop();
  });

  /** The expected listing: issuedAt, then leaf index (= append order here). */
  const expected = (keep: (c: CertificatePayload, i: number) => boolean) =>
    certs
      .map((c, i) => ({ c, i }))
      .filter(({ c, i }) => keep(c, i))
      .sort((a, b) => a.c.issuedAt.localeCompare(b.c.issuedAt) || a.i - b.i)
      .map(({ c }) => c.certificateId);

  it('indexes every certificate the log holds, and only certificates', async () => {
    const rows = await app
      .get(DataSource)
      .query<{ n: string }[]>('SELECT count(*) AS n FROM audit_certificates');
    expect(Number(rows[0]?.n)).toBe(12);
  });

  it('pages through all of them in (issuedAt, leaf index) order, whatever the page size', async () => {
    const whole = expected(() => true);
    for (const limit of [1, 5, 12, 200]) {
      const { ids, pages } = await all({ limit });
      expect(ids).toEqual(whole);
      expect(pages).toBe(Math.max(1, Math.ceil(12 / limit)));
    }
  });

  it('lists what the log says about each certificate, with its JWS', async () => {
    const res = await list({ limit: 1 });
    const [first] = (res.body as CertificatePage).items;
    const cert = certs.find((c) => c.certificateId === first?.certificateId);
    expect(first).toMatchObject({
      issuedAt: cert?.issuedAt,
      method: cert?.method,
      guaranteeType: cert?.guarantee.type,
      subjectRefs: cert?.subjectRefs,
      requestIds: cert?.requestIds,
      modelId: cert?.model?.modelId ?? null,
    });
    expect(first?.jws.split('.')).toHaveLength(3);
  });

  it('filters by model, method, guarantee type, subject ref, subject id and time range', async () => {
    expect((await all({ modelId: 'model-a', limit: 2 })).ids).toEqual(
      expected((c) => c.model?.modelId === 'model-a'),
    );
    expect((await all({ method: 'retrain,no-op' })).ids).toEqual(
      expected((c) => c.method === 'retrain' || c.method === 'no-op'),
    );
    expect((await all({ guaranteeType: 'certified' })).ids).toEqual(
      expected((c) => c.guarantee.type === 'certified'),
    );
    const bob = subjectRefFor('bob');
    expect((await all({ subjectRef: bob, limit: 3 })).ids).toEqual(
      expected((c) => c.subjectRefs.includes(bob)),
    );
    expect((await all({ subjectId: 'bob' })).ids).toEqual(
      expected((c) => c.subjectRefs.includes(bob)),
    );
    expect(
      (await all({ from: '2026-11-02T00:00:00Z', to: '2026-11-03T00:00:00Z', limit: 1 })).ids,
    ).toEqual(expected((c) => c.issuedAt.startsWith('2026-11-02')));
    expect(
      (await all({ modelId: 'model-b', guaranteeType: 'exact', from: '2026-11-02T00:00:00Z' })).ids,
    ).toEqual(
      expected(
        (c) =>
          c.model?.modelId === 'model-b' &&
          c.guarantee.type === 'exact' &&
          c.issuedAt >= '2026-11-02',
      ),
    );
  });

  it('answers coded problems for bad input, never echoing a subject id', async () => {
    for (const [query, code] of [
      [{ limit: 0 }, 'SCHEMA_VIOLATION'],
      [{ limit: 201 }, 'SCHEMA_VIOLATION'],
      [{ method: 'magic' }, 'SCHEMA_VIOLATION'],
      [{ subjectRef: 'user-42' }, 'SCHEMA_VIOLATION'],
      [{ from: 'yesterday' }, 'SCHEMA_VIOLATION'],
      [{ unknown: 'x' }, 'SCHEMA_VIOLATION'],
      [{ cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
    ] as const) {
      const res = await list(query);
      expect([res.status, (res.body as { code: string }).code]).toEqual([400, code]);
    }
    const res = await list({ subjectId: 'secret-person-7', limit: 0 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('secret-person-7');
  });
});
