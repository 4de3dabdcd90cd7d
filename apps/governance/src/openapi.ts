import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** The bearer scheme every protected route takes: an API key (machines) or an OIDC JWT (people). */
export const BEARER_SCHEME = 'bearer';

/**
 * The OpenAPI document of the governance service, generated from the controllers: served at
 * /docs (main.ts) and exported to docs/openapi.json (`npm run openapi:export`, drift-checked by
 * `npm run openapi:check`). Every operation carries the bearer requirement, so "Try it out" sends
 * the token typed into "Authorize"; public routes simply ignore it.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Lethe governance API')
    .setDescription(
      'The right to be forgotten for trained ML models, with proof. Errors are RFC 9457 ' +
        'application/problem+json with a stable `code`. Authorise with an API key or an OIDC ' +
        'access token (docs/adr/0015-authorisation.md).',
    )
    .setVersion('v1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'API key or OIDC JWT' },
      BEARER_SCHEME,
    )
    .addSecurityRequirements(BEARER_SCHEME)
    .build();
  // nestjs-zod DTOs (request and response schemas generated from the zod schemas that validate).
  return cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
}
