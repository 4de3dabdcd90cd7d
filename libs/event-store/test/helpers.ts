import { createTestDatabase } from '@lethe/local-infra/testing/create-test-database';
import type { MessageMetadata } from '@lethe/shared';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { Event, NewEvent } from '../src';

export interface TestStore {
  dataSource: DataSource;
  databaseName: string;
  close(): Promise<void>;
}

/** A DataSource on a fresh database cloned from the migrated template. */
export async function openTestStore(poolSize = 10): Promise<TestStore> {
  const db = await createTestDatabase('es');
  const dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize, logging: false });
  await dataSource.initialize();
  return {
    dataSource,
    databaseName: db.name,
    close: async () => {
      await dataSource.destroy();
      await db.drop();
    },
  };
}

export function meta(overrides: Partial<MessageMetadata> = {}): MessageMetadata {
  return {
    messageId: randomUUID(),
    correlationId: 'corr-1',
    causationId: null,
    actor: 'system:test',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
    ...overrides,
  };
}

export function ev<T extends string, D>(
  type: T,
  data: D,
  m: Partial<MessageMetadata> = {},
): NewEvent<Event<T, D>> {
  return { type, data, metadata: meta(m) };
}

/**
 * A transaction that stays open until `commit()` / `rollback()`: lets a test interleave two real
 * transactions step by step.
 */
export interface OpenTransaction {
  manager: EntityManager;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export async function openTransaction(dataSource: DataSource): Promise<OpenTransaction> {
  const qr = dataSource.createQueryRunner();
  await qr.connect();
  await qr.startTransaction();
  let finished = false;
  const finish = async (how: 'commit' | 'rollback'): Promise<void> => {
    if (finished) return; // releasing twice would hand one connection to two query runners
    finished = true;
    try {
      if (how === 'commit') await qr.commitTransaction();
      else await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
  };
  return {
    manager: qr.manager,
    commit: () => finish('commit'),
    rollback: () => finish('rollback'),
  };
}

/** Resolves once some session of `databaseName` waits on a lock (a writer blocked on a row). */
export async function waitForLockWait(
  dataSource: DataSource,
  databaseName: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock'`,
      [databaseName],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error('no session started waiting on a lock');
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it stops throwing (or rethrows after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}
