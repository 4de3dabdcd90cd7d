// Copies the non-TypeScript files the compiled services serve into dist/ (tsc copies only what it
// compiles): the compliance dashboard's page, script and style. Run by `npm run build`
// (its postbuild step); the images run `npm run build` too.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const ASSET_DIRS = ['libs/governance/src/infrastructure/dashboard/assets'];

for (const dir of ASSET_DIRS) {
  const from = path.join(root, dir);
  const to = path.join(root, 'dist', dir);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  process.stdout.write(`copied ${dir} -> dist/${dir}\n`);
}
