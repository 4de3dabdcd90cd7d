import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AUTHORISATION_MATRIX } from '../test/authorisation-matrix';

/**
 * The exported document (docs/openapi.json, regenerated from the code and drift-checked by
 * `npm run openapi:check`) is complete, so "Try it out" works on every route: each parameter and
 * body has a schema, each route a 2xx response with a schema, a security requirement (empty only
 * for the public routes of the authorisation matrix) and problem+json errors.
 */
type Json = Record<string, unknown>;
interface Operation {
  parameters?: { name: string; in: string; schema?: Json }[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
  security?: Record<string, string[]>[];
}

const doc = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8'),
) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
};

/** POST/PUT routes that take no body. */
const BODYLESS = new Set(['POST /v1/jobs/{jobId}/retry']);

const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
  Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, p, op })),
);
const matrixKey = (key: string) => key.replace(/\{([^}]+)\}/g, ':$1');
const hasSchema = (content: Record<string, { schema?: Json }> | undefined) =>
  content !== undefined &&
  Object.keys(content).length > 0 &&
  Object.values(content).every((c) => c.schema !== undefined && Object.keys(c.schema).length > 0);

describe('docs/openapi.json', () => {
  it('documents every route of the authorisation matrix except the dashboard page', () => {
    const documented = new Set(operations.map((o) => matrixKey(o.key)));
    const routes = Object.keys(AUTHORISATION_MATRIX).filter((r) => !r.includes('/dashboard'));
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('has an API key and a bearer (OIDC) security scheme and a Problem schema', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      apiKey: { type: 'http', scheme: 'bearer' },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it.each(operations.map((o) => [o.key, o] as const))(
    '%s: request and 2xx response schemas, security, problem+json errors',
    (key, { p, op }) => {
      // Every path parameter is declared, with a schema; so is every query parameter.
      const pathParams = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const name of pathParams) {
        expect(op.parameters?.find((x) => x.in === 'path' && x.name === name)?.schema).toEqual(
          expect.objectContaining({ type: expect.any(String) }),
        );
      }
      for (const param of op.parameters ?? []) expect(param.schema).toBeDefined();
      if ((key.startsWith('POST') || key.startsWith('PUT')) && !BODYLESS.has(key)) {
        expect(hasSchema(op.requestBody?.content)).toBe(true);
      }
      const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(ok.length).toBeGreaterThan(0);
      for (const [, response] of ok) expect(hasSchema(response.content)).toBe(true);

      const access = AUTHORISATION_MATRIX[matrixKey(key)];
      expect(access).toBeDefined();
      if (access === 'public') {
        expect(op.security).toEqual([]);
      } else {
        expect(op.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
        expect(op.responses['401']?.content?.['application/problem+json']).toBeDefined();
        expect(op.responses['403']?.content?.['application/problem+json']).toBeDefined();
      }
      expect(op.responses.default?.content?.['application/problem+json']).toBeDefined();
    },
  );
});
