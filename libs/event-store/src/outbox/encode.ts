import type { OutboxMessage } from './outbox-message';

/** Kafka value bytes of an outbox message (Buffer as is, string as UTF-8, other values as JSON). */
export function encodeOutboxValue(value: OutboxMessage['value']): Buffer | null {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}
