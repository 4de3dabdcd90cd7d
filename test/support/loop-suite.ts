import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, testKafka, type TestDatabase } from '@lethe/local-infra';
import { type Loop, type LoopOptions, startLoop } from './unlearning-loop';

/*
 * Jest-only (it registers beforeAll/afterAll): kept apart from unlearning-loop.ts, which the
 * loop bench imports outside Jest.
 */

/** The loop of one test file, booted by `useLoop`; `db` and `loop` are there once `beforeAll` ran. */
export interface LoopSuite {
  readonly brokers: string[];
  readonly namespace: string;
  readonly db: TestDatabase;
  readonly loop: Loop;
}

/**
 * Boots the loop for the calling test file: a fresh database, this file's Kafka namespace and a
 * scratch root named after `name` before all its tests (`startLoop` with `options`), and stops the
 * processes, drops the database and removes the root after them. Call it in a `describe` body.
 */
export function useLoop(
  name: string,
  options: Omit<LoopOptions, 'databaseUrl' | 'brokers' | 'namespace' | 'root'> = {},
): LoopSuite {
  const { brokers, namespace } = testKafka();
  const root = mkdtempSync(path.join(tmpdir(), `lethe-${name}-e2e-`));
  let db: TestDatabase | undefined;
  let loop: Loop | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    loop = await startLoop({ ...options, databaseUrl: db.url, brokers, namespace, root });
  }, 300_000);

  afterAll(async () => {
    await loop?.stop();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the loop's ${what} is not up (beforeAll failed?)`);
    return v;
  };
  return {
    brokers,
    namespace,
    get db() {
      return started(db, 'database');
    },
    get loop() {
      return started(loop, 'processes');
    },
  };
}
