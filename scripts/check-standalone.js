#!/usr/bin/env node
// The repository must stand on its own: no tracked file outside docs/ may cite the design notes
// kept beside it (DESIGN.md, research/paper.md, research/feasibility.md, ../shared). Cite
// docs/contracts.md and docs/method.md instead. Lists every offending line; exits 1 if any.
// Usage: npm run check:standalone
// Part of `npm run check`.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const CITATION =
  /\bDESIGN(\.md)?\s*(§|#|invariant)|\bDESIGN\.md\b|research\/(paper|feasibility|aesthetics|anchors)\.md|\.\.\/shared\/(DESIGN|research)|\bshared\/(DESIGN\.md|research\/)|\/work\/shared\b/;
const SELF = path.relative(root, __filename);

const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && !f.startsWith('docs/') && f !== SELF && f !== 'package-lock.json');

const hits = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    continue; // deleted in the working tree, or unreadable
  }
  if (text.includes('\0')) continue; // binary
  text.split('\n').forEach((line, i) => {
    if (CITATION.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
  });
}

if (hits.length > 0) {
  console.error(
    `${hits.length} citation(s) of documents outside the repository; cite docs/contracts.md ` +
      'or docs/method.md instead:\n' +
      hits.join('\n'),
  );
  process.exit(1);
}
console.log('check-standalone: no citation of documents outside the repository');
