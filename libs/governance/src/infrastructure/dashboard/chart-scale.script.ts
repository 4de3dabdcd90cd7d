import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The dashboard's axis arithmetic, served as `/dashboard/chart-scale.js`. */
export const CHART_SCALE_SCRIPT = 'chart-scale.js';

/** reports/chart-scale, the one source of the axis arithmetic (the PDF report imports it). */
const SOURCE = path.join(__dirname, '..', 'reports', 'chart-scale');

/**
 * chart-scale as CommonJS: in a build, the module tsc compiled next to this one; run from source
 * (ts-node: tests, development), the TypeScript transpiled here (TypeScript is installed there).
 */
const commonJs = (): string => {
  if (existsSync(`${SOURCE}.js`)) return readFileSync(`${SOURCE}.js`, 'utf8');
  // A development dependency, loaded only when running from source.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  return ts.transpileModule(readFileSync(`${SOURCE}.ts`, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
  }).outputText;
};

/**
 * The browser script of reports/chart-scale.ts, generated from it (the page has no build step):
 * the CommonJS module in a function of its own, its exports set as `LetheChartScale` on the
 * page's global object, where dashboard.js reads them. So the dashboard and the PDF report draw
 * their axes with the same code.
 */
export const chartScaleScript = (): string =>
  [
    '// Generated from libs/governance/src/infrastructure/reports/chart-scale.ts: do not edit.',
    '(function () {',
    'var exports = {};',
    commonJs().replace(/^\/\/# sourceMappingURL=.*$/m, ''),
    'globalThis.LetheChartScale = exports;',
    '})();',
    '',
  ].join('\n');
