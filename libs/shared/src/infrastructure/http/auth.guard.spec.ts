import {
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  Module,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ApiKeyRegistry } from './api-keys';
import { TestOidcIssuer } from '../../testing/oidc-issuer';
import { AuthGuard, OIDC_VERIFIER } from './auth.guard';
import { OidcVerifier } from './oidc';
import { ProblemDetailsFilter } from './problem-details.filter';
import { Public, Roles } from './roles';

@Controller()
class ProbeController {
  @Public()
  @Get('open')
  open() {
    return { ok: true };
  }

  @Roles('compliance', 'auditor')
  @Get('reports')
  reports() {
    return { ok: true };
  }

  @Get('forgotten')
  forgotten() {
    return { ok: true };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    {
      provide: ApiKeyRegistry,
      useValue: new ApiKeyRegistry([
        { name: 'crm', key: 'publisher-key-0001', roles: ['publisher'] },
        { name: 'dpo', key: 'auditor-key-00001', roles: ['auditor'] },
        { name: 'root', key: 'admin-key-0000001', roles: ['admin'] },
      ]),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
class ProbeModule {
  /** The probe app with extra providers beside the guard (the OIDC verifier). */
  static with(providers: Provider[]): DynamicModule {
    return { module: ProbeModule, providers };
  }
}

describe('AuthGuard (deny by default)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const ref = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  const get = (path: string, key?: string) => {
    const r = request(app.getHttpServer()).get(path);
    return key ? r.set('authorization', `Bearer ${key}`) : r;
  };

  it('lets anyone reach a @Public route', async () => {
    await get('/open').expect(200);
  });

  it('answers 401 problem+json without a token', async () => {
    const res = await get('/reports').expect(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('answers 401 for an unknown token and 403 for a role that does not fit', async () => {
    await get('/reports', 'not-a-real-key-123').expect(401);
    const res = await get('/reports', 'publisher-key-0001').expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('admits a listed role and admin', async () => {
    await get('/reports', 'auditor-key-00001').expect(200);
    await get('/reports', 'admin-key-0000001').expect(200);
  });

  it('denies a route that states no roles, whoever calls', async () => {
    const res = await get('/forgotten', 'admin-key-0000001').expect(403);
    expect(res.body.code).toBe('ROUTE_NOT_EXPOSED');
  });
});

describe('AuthGuard with OIDC (people) beside API keys (machines)', () => {
  let app: INestApplication;
  let issuer: TestOidcIssuer;
  beforeAll(async () => {
    issuer = await TestOidcIssuer.start();
    const ref = await Test.createTestingModule({
      imports: [
        ProbeModule.with([
          {
            provide: OIDC_VERIFIER,
            useValue: new OidcVerifier({
              issuer: issuer.issuer,
              audience: [TestOidcIssuer.audience],
              jwksUrl: issuer.jwksUrl,
            }),
          },
        ]),
      ],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  const get = (path: string, token: string) =>
    request(app.getHttpServer()).get(path).set('authorization', `Bearer ${token}`);

  it('admits a person whose token carries a listed role, and still the API keys', async () => {
    await get('/reports', await issuer.token({ roles: ['auditor'] })).expect(200);
    await get('/reports', 'auditor-key-00001').expect(200);
  });

  it('forbids a person without a listed role, and codes bad tokens', async () => {
    const res = await get('/reports', await issuer.token({ roles: ['publisher'] })).expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const expired = await get(
      '/reports',
      await issuer.token({ roles: ['auditor'], expiresIn: -60 }),
    );
    expect([expired.status, expired.body.code]).toEqual([401, 'TOKEN_EXPIRED']);
    const forged = await get('/reports', await issuer.token({ roles: ['admin'], forged: true }));
    expect([forged.status, forged.body.code]).toEqual([401, 'TOKEN_INVALID']);
  });
});
