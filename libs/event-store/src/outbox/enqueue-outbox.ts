import type { EntityManager } from 'typeorm';
import { assertInTransaction } from '../postgres/queryable';
import { encodeOutboxValue } from './encode';
import type { OutboxMessage } from './outbox-message';

/**
 * Inserts outbox rows (one multi-row INSERT, order kept) in the caller's transaction. The relay
 * publishes them once that transaction has committed.
 */
export async function enqueueOutbox(
  manager: EntityManager,
  messages: readonly OutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  assertInTransaction(manager, 'enqueueOutbox');
  await manager.query(
    `INSERT INTO outbox (topic, key, value, headers)
     SELECT t.topic, t.key, t.value, t.headers
       FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])
            WITH ORDINALITY AS t(topic, key, value, headers, ord)
      ORDER BY t.ord`,
    [
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => encodeOutboxValue(m.value)),
      messages.map((m) => JSON.stringify(m.headers ?? {})),
    ],
  );
}
