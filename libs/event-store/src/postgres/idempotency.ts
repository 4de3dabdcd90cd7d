import type { EntityManager } from 'typeorm';
import { assertInTransaction, sql, type Queryable } from './queryable';

/**
 * Claims `key` in `idempotency_keys` (INSERT … ON CONFLICT DO NOTHING) inside the caller's
 * transaction. True if it is new; false if it was already claimed (by a committed transaction, or
 * by a concurrent one that then commits: this call waits for it).
 */
export async function claimIdempotencyKey(
  manager: EntityManager,
  key: string,
  streamId: string,
): Promise<boolean> {
  assertInTransaction(manager, 'claimIdempotencyKey');
  const rows = await sql<{ key: string }>(
    manager,
    `INSERT INTO idempotency_keys (key, stream_id) VALUES ($1, $2)
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [key, streamId],
  );
  return rows.length === 1;
}

export async function findIdempotencyKey(
  db: Queryable,
  key: string,
): Promise<{ streamId: string; createdAt: Date } | null> {
  const [row] = await sql<{ stream_id: string; created_at: Date }>(
    db,
    'SELECT stream_id, created_at FROM idempotency_keys WHERE key = $1',
    [key],
  );
  return row ? { streamId: row.stream_id, createdAt: row.created_at } : null;
}
