#!/usr/bin/env node
// The `lethe` binary (package.json "bin"; `npm run lethe -- …`). Runs the compiled CLI from dist/
// (npm run build) with the @lethe/* aliases; from a fresh clone without a build, runs the
// TypeScript sources through ts-node (slower to start, same behaviour).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..', '..');
const compiled = path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (fs.existsSync(compiled)) {
  require(path.join(root, 'scripts', 'register-aliases.js'));
  require(compiled);
} else {
  require('ts-node').register({
    project: path.join(root, 'tsconfig.json'),
    transpileOnly: true,
  });
  require('tsconfig-paths').register({
    baseUrl: root,
    paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths,
  });
  require(path.join(root, 'apps', 'cli', 'src', 'main.ts'));
}
