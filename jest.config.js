// One jest run, three projects: unit (*.spec.ts), integration (*.int-spec.ts, real Postgres + Kafka)
// and e2e (test/*.e2e-spec.ts, black-box). Type-checking is done once by `npm run typecheck`,
// so ts-jest only transpiles here.
//
// The engine's numeric specs run on the backend `auto` picks (native TensorFlow when the install
// step built it, see scripts/install-tensorflow.js) in `unit`, and once more pinned to wasm in
// `unlearning-wasm`, so both backends pass the same proofs. Without a native build both would be
// wasm, and the second project is left out.
const fs = require('node:fs');
const path = require('node:path');
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }],
};
const moduleNameMapper = pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' });
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** Specs that run on `backendUnderTest()` (libs/unlearning/test/tf-test-helpers.ts): `useBackend()`. */
const numericSpecs = fs
  .readdirSync(path.join(__dirname, 'libs/unlearning/src'), { recursive: true })
  .filter((f) => f.endsWith('.spec.ts'))
  .filter((f) =>
    fs
      .readFileSync(path.join(__dirname, 'libs/unlearning/src', f), 'utf8')
      .includes('useBackend()'),
  )
  .map((f) => `<rootDir>/libs/unlearning/src/${f}`);
const nativeBuilt = (() => {
  try {
    return require('./node_modules/.lethe/tensorflow.json').ok === true;
  } catch {
    return false;
  }
})();
const wasmPinned = process.env.LETHE_TF_BACKEND === 'wasm';

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,bench,scripts,deploy}/**/*.spec.ts'],
    },
    ...(nativeBuilt && !wasmPinned
      ? [
          {
            ...common,
            displayName: 'unlearning-wasm',
            testMatch: numericSpecs,
            globals: { __LETHE_TF_BACKEND__: 'wasm' },
          },
        ]
      : []),
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,migrations}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/local-infra/src/testing/global-setup.ts',
      globalTeardown: '<rootDir>/libs/local-infra/src/testing/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/local-infra/src/testing/global-setup.ts',
      globalTeardown: '<rootDir>/libs/local-infra/src/testing/global-teardown.ts',
    },
  ],
};
