/**
 * `npm run openapi:export`: writes the governance service's OpenAPI document, generated from the
 * code (apps/governance/src/openapi.ts), to docs/openapi.json. `npm run openapi:check` (part of
 * `npm run check`) regenerates it in memory and exits 1, with the first differing lines, when the
 * file is out of date. The app is built in Nest's preview mode: the module graph and its
 * controllers, no provider instantiated, so no database or broker is needed.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { format, resolveConfig } from 'prettier';
import { generateEd25519, KeyRing } from '@lethe/audit';
import { AppModule } from '../apps/governance/src/app.module';
import { loadGovernanceConfig } from '../apps/governance/src/config';
import { createOpenApiDocument } from '../apps/governance/src/openapi';

const FILE = path.join(__dirname, '..', 'docs', 'openapi.json');

async function generate(): Promise<string> {
  const config = loadGovernanceConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi',
    KAFKA_BROKERS: '127.0.0.1:1',
    LETHE_API_KEYS: 'openapi:openapi-export-key-000000:admin',
    LETHE_SUBJECT_HMAC_KEY: 'openapi-export-hmac-key-0123456789abcdef',
  });
  const { privateKey, publicKey } = generateEd25519();
  const keyRing = KeyRing.of([
    { kid: 'openapi', notBefore: new Date(0), notAfter: null, privateKey, publicKey },
  ]);
  const app = await NestFactory.create(
    AppModule.forRoot({ config, databaseUrl: config.DATABASE_URL!, kafkaBrokers: [], keyRing }),
    { preview: true, abortOnError: false, logger: false },
  );
  const document = createOpenApiDocument(app);
  await app.close();
  const text = JSON.stringify(document, null, 2);
  return format(text, { ...(await resolveConfig(FILE)), parser: 'json' });
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const generated = await generate();
  if (!check) {
    writeFileSync(FILE, generated);
    console.log(`wrote ${path.relative(process.cwd(), FILE)}`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(FILE, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current === generated) {
    console.log('docs/openapi.json is up to date');
    return 0;
  }
  const a = current.split('\n');
  const b = generated.split('\n');
  const at = b.findIndex((line, i) => line !== a[i]);
  console.error(
    'docs/openapi.json is out of date; run `npm run openapi:export`. First difference at line ' +
      `${at + 1}:\n- ${a[at] ?? '(end of file)'}\n+ ${b[at] ?? '(end of file)'}`,
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
