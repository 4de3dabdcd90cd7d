import type { Role } from '@lethe/shared/infrastructure/http';

/** Who may call a route: `public` (no token needed), or the roles admitted (`admin` always is). */
export type Access = 'public' | readonly Role[];

/**
 * The role table of docs/contracts.md §4, route by route, as the governance service must enforce
 * it. authorisation-matrix.int-spec.ts reads the routes from the Nest router and fails on a route
 * missing here (and on an entry naming no route): a new route needs one line here,
 * `'<METHOD> <path as the controller declares it>': [roles] | 'public',`.
 */
export const AUTHORISATION_MATRIX: Readonly<Record<string, Access>> = {
  'POST /v1/deletion-requests': ['publisher'],
  'GET /v1/deletion-requests': ['publisher', 'compliance'],
  'GET /v1/deletion-requests/:requestId': ['compliance', 'auditor'],
  'GET /v1/certificates': ['compliance', 'auditor'],
  'GET /v1/certificates/:certificateId': ['compliance', 'auditor'],
  'GET /v1/audit/checkpoint': ['publisher', 'compliance', 'auditor', 'ml-admin', 'ops'],
  'GET /v1/audit/consistency': ['publisher', 'compliance', 'auditor', 'ml-admin', 'ops'],
  'GET /v1/audit/export': ['auditor'],
  'GET /v1/audit/export/manifest': ['auditor'],
  'GET /v1/compliance/summary': ['compliance', 'auditor'],
  'GET /v1/compliance/report.pdf': ['compliance', 'auditor'],
  'POST /v1/datasets': ['ml-admin'],
  'POST /v1/datasets/:datasetId/records': ['ml-admin'],
  'POST /v1/models': ['ml-admin'],
  'GET /v1/models/:modelId': ['ml-admin', 'compliance'],
  'PUT /v1/models/:modelId/policy': ['ml-admin'],
  'GET /v1/models/:modelId/versions/:version': ['ml-admin'],
  'GET /v1/models/:modelId/versions/:version/weights': ['ml-admin'],
  'GET /v1/jobs/:jobId': ['ml-admin', 'compliance'],
  'POST /v1/jobs/:jobId/retry': ['ml-admin'],
  'GET /.well-known/jwks.json': 'public',
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'GET /dashboard': 'public',
  'GET /dashboard/:file': 'public',
};

/**
 * The URL to call for a route when its path alone would not reach the handler meaningfully
 * (default: the path with each `:param` replaced by a placeholder).
 */
export const SAMPLE_URLS: Readonly<Record<string, string>> = {
  'GET /v1/deletion-requests': '/v1/deletion-requests?source=urn:lethe:app:none&eventId=e-1',
  'GET /v1/audit/consistency': '/v1/audit/consistency?from=1&to=1',
};
