import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

jest.setTimeout(120_000);

const root = resolve(__dirname, '../../..');

/** The README's Quick start block, as written. */
const quickStart = (): string => {
  const readme = readFileSync(join(root, 'libs/unlearning/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('no ts block under "## Quick start"');
  return match[1];
};

describe('libs/unlearning README', () => {
  it('the Quick start compiles against the current public API (strict, repo tsconfig)', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (!config) throw new Error('cannot read tsconfig.json');
    const file = join(root, 'libs/unlearning/src/__readme-quick-start__.ts');
    const source = quickStart();
    const options = { ...config.options, noEmit: true, incremental: false };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      resolve(name) === file
        ? ts.createSourceFile(name, source, version)
        : getSourceFile(name, version, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => resolve(name) === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || resolve(d.file.fileName) === file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
    expect(source).toContain("from '@lethe/unlearning'");
  });
});
