import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@lethe/local-infra';
import { generateEd25519, KeyRing } from '@lethe/audit';
import { ROLES, type Role } from '@lethe/shared/infrastructure/http';
import { TestOidcIssuer } from '@lethe/shared/testing/oidc-issuer';
import { AppModule } from '../src/app.module';
import { loadGovernanceConfig } from '../src/config';
import { AUTHORISATION_MATRIX, SAMPLE_URLS, type Access } from './authorisation-matrix';

jest.setTimeout(120_000);

/** Codes only the AuthGuard answers: an admitted caller never gets one of them. */
const GUARD_CODES = [
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'FORBIDDEN',
  'ROUTE_NOT_EXPOSED',
];

const keyOf = (role: Role) => `${role}-matrix-key-0123456789`;

/** Every route the Nest router serves, as `METHOD /path` (read from the controllers' metadata). */
function routesOf(app: INestApplication): string[] {
  const scanner = new MetadataScanner();
  const routes = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...a: unknown[]) => unknown) | null;
      if (!type) continue;
      const base = Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined;
      const proto = type.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        for (const b of [base ?? ''].flat()) {
          for (const p of [path].flat()) {
            const full = `/${[b, p]
              .map((s) => s.replace(/^\/+|\/+$/g, ''))
              .filter(Boolean)
              .join('/')}`;
            routes.add(`${RequestMethod[method]} ${full}`);
          }
        }
      }
    }
  }
  return [...routes].sort();
}

/**
 * The authorisation matrix on the real governance app (AppModule, its config schema, real
 * PostgreSQL): every route the router has × every role, each as a person (OIDC JWT from a local
 * issuer serving its JWKS over http) and as a machine (API key); plus no token, an expired token,
 * a forged one (signed by a key the issuer does not publish), another issuer, another audience,
 * an unknown API key and a token with no Lethe role. The routes come from the Nest router, so a
 * route without an entry in authorisation-matrix.ts fails here.
 */
describe('authorisation matrix (governance app, OIDC + API keys, real PostgreSQL)', () => {
  let db: TestDatabase;
  let issuer: TestOidcIssuer;
  let app: INestApplication;
  let routes: string[];

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createTestDatabase('authz'), TestOidcIssuer.start()]);
    const config = loadGovernanceConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: '127.0.0.1:1',
      LETHE_API_KEYS: ROLES.map((r) => `${r}-key:${keyOf(r)}:${r}`).join(','),
      LETHE_SUBJECT_HMAC_KEY: 'matrix-subject-hmac-key-0123456789abcdef',
      LETHE_OIDC_ISSUER: issuer.issuer,
      LETHE_OIDC_AUDIENCE: TestOidcIssuer.audience,
      LETHE_OIDC_JWKS_URL: issuer.jwksUrl,
      LETHE_RUN_INTAKE: 'false',
      LETHE_RUN_RESULTS: 'false',
      LETHE_RUN_PROJECTIONS: 'false',
      LETHE_RUN_SCHEDULER: 'false',
      LETHE_RUN_OUTBOX_RELAY: 'false',
      LOG_LEVEL: 'silent',
    });
    const { privateKey, publicKey } = generateEd25519();
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          config,
          databaseUrl: db.url,
          kafkaBrokers: ['127.0.0.1:1'],
          keyRing: KeyRing.of([
            { kid: 'k1', notBefore: new Date('2026-01-01'), notAfter: null, privateKey, publicKey },
          ]),
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    routes = routesOf(app);
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
    await db?.drop();
  });

  const urlOf = (route: string) =>
    SAMPLE_URLS[route] ?? route.split(' ')[1]!.replace(/:[A-Za-z]+/g, 'matrix-x');

  const call = async (route: string, token?: string) => {
    const method = route.split(' ')[0]!.toLowerCase() as 'get' | 'post';
    let r = request(app.getHttpServer())[method](urlOf(route));
    if (token) r = r.set('authorization', `Bearer ${token}`);
    if (method === 'post') r = r.set('content-type', 'application/json').send('{}');
    const res = await r;
    const body = res.body as { code?: unknown } | undefined;
    return { status: res.status, code: typeof body?.code === 'string' ? body.code : undefined };
  };

  const admitted = (access: Access, role: Role) =>
    access === 'public' || role === 'admin' || access.includes(role);

  it('has exactly one matrix entry per route of the router', () => {
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((r) => !(r in AUTHORISATION_MATRIX))).toEqual([]);
    expect(Object.keys(AUTHORISATION_MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('admits exactly the listed roles on every route, as a person (OIDC) and as a machine (API key)', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const access = AUTHORISATION_MATRIX[route];
      if (access === undefined || access === 'public') continue;
      for (const role of ROLES) {
        const person = await issuer.token({ sub: `${role}-person`, roles: [role] });
        for (const [who, token] of [
          ['oidc', person],
          ['api-key', keyOf(role)],
        ] as const) {
          const got = await call(route, token);
          const ok = admitted(access, role)
            ? got.status !== 401 && !GUARD_CODES.includes(got.code ?? '')
            : got.status === 403 && got.code === 'FORBIDDEN';
          if (!ok) wrong.push(`${route} as ${role} (${who}): ${got.status} ${got.code ?? ''}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('turns away no token, expired, forged, foreign-issuer, foreign-audience and unknown tokens on every protected route', async () => {
    const bad: [string, string | undefined, string][] = [
      ['no token', undefined, 'UNAUTHENTICATED'],
      ['expired', await issuer.token({ roles: ['admin'], expiresIn: -120 }), 'TOKEN_EXPIRED'],
      ['forged', await issuer.token({ roles: ['admin'], forged: true }), 'TOKEN_INVALID'],
      [
        'other issuer',
        await issuer.token({ roles: ['admin'], issuer: 'https://idp.elsewhere.example' }),
        'TOKEN_INVALID',
      ],
      [
        'other audience',
        await issuer.token({ roles: ['admin'], audience: 'another-api' }),
        'TOKEN_INVALID',
      ],
      ['unknown api key', 'not-a-configured-key-0123456789', 'UNAUTHENTICATED'],
    ];
    const wrong: string[] = [];
    for (const route of routes) {
      const access = AUTHORISATION_MATRIX[route];
      if (access === undefined) continue;
      for (const [what, token, code] of bad) {
        const got = await call(route, token);
        if (access === 'public') {
          // Public routes never look at the token (GET /health/ready asks Kafka: once is enough).
          if (what !== 'no token' && route === 'GET /health/ready') continue;
          if (got.status === 401 || got.status === 403)
            wrong.push(`${route} ${what}: ${got.status}`);
        } else if (got.status !== 401 || got.code !== code) {
          wrong.push(`${route} ${what}: ${got.status} ${got.code ?? ''} (want 401 ${code})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('forbids a valid token that carries no Lethe role', async () => {
    const token = await issuer.token({ roles: ['some-other-app-role'] });
    for (const route of routes) {
      const access = AUTHORISATION_MATRIX[route];
      if (access === undefined || access === 'public') continue;
      expect(await call(route, token)).toEqual({ status: 403, code: 'FORBIDDEN' });
    }
  });
});
