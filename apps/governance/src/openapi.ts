import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** The two ways to authorise: an API key (machines) and an OIDC access token (people). */
export const API_KEY_SCHEME = 'apiKey';
export const BEARER_SCHEME = 'bearer';

/** The RFC 9457 problem every error answers with (ProblemDetailsFilter). */
export const PROBLEM_SCHEMA = 'Problem';
const PROBLEM_JSON = 'application/problem+json';

const problemSchema: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable (docs/contracts.md)',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', example: 'https://lethe.dev/problems/schema-violation' },
    title: { type: 'string', example: 'SCHEMA_VIOLATION' },
    status: { type: 'integer', example: 400 },
    code: { type: 'string', example: 'SCHEMA_VIOLATION' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'the request path' },
    correlationId: { type: 'string' },
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'the code’s own fields (e.g. `violations`: paths and rules, never values)',
    },
  },
};

type Operation = {
  parameters?: { in?: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
  description?: string;
  'x-lethe-public'?: boolean;
  'x-lethe-roles'?: string[];
};

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_JSON]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } } },
});

/**
 * Security and errors of one operation, from the `@Public()` / `@Roles()` extensions: a public
 * route has no requirement (`security: []`); any other takes an API key or an OIDC token, names
 * the roles it admits, and answers 401/403. Every route may answer a problem+json error; those
 * with input, 400; those with a path parameter, 404.
 */
function completeOperation(path: string, op: Operation): void {
  const isPublic = op['x-lethe-public'] === true;
  delete op['x-lethe-public'];
  if (isPublic) {
    op.security = [];
  } else {
    op.security = [{ [API_KEY_SCHEME]: [] }, { [BEARER_SCHEME]: [] }];
    const roles = op['x-lethe-roles'] ?? [];
    const who = `Roles: ${[...roles, 'admin'].join(', ')}.`;
    op.description = op.description ? `${op.description}\n\n${who}` : who;
    op.responses['401'] ??= problem('no valid API key or token (UNAUTHENTICATED)');
    op.responses['403'] ??= problem('the caller’s role may not call this route (FORBIDDEN)');
  }
  if ((op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined) {
    op.responses['400'] ??= problem('the request breaks its schema or a rule (coded)');
  }
  if (path.includes('{')) op.responses['404'] ??= problem('no such resource (coded)');
  op.responses.default ??= problem('any other error, e.g. 503 when a dependency is down');
}

/**
 * The OpenAPI document of the governance service, generated from the controllers: served at
 * /docs (main.ts) and exported to docs/openapi.json (`npm run openapi:export`, drift-checked by
 * `npm run openapi:check`). Request and response schemas come from the zod schemas that
 * validate (nestjs-zod DTOs); security and error responses from the route's `@Public()` /
 * `@Roles()` (docs/adr/0015-authorisation.md). openapi.spec.ts fails when a route lacks any.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Lethe governance API')
    .setDescription(
      'The right to be forgotten for trained ML models, with proof. Errors are RFC 9457 ' +
        'application/problem+json with a stable `code`. Authorise with an API key or an OIDC ' +
        'access token (docs/adr/0015-authorisation.md); both travel as ' +
        '`Authorization: Bearer <credential>`.',
    )
    .setVersion('v1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API key (machines)' },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'An OIDC access token from the configured issuer (people)',
      },
      BEARER_SCHEME,
    )
    .build();
  // nestjs-zod DTOs (request and response schemas generated from the zod schemas that validate).
  const document = cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [PROBLEM_SCHEMA]: problemSchema },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method] as Operation | undefined;
      if (op) completeOperation(path, op);
    }
  }
  return document;
}
