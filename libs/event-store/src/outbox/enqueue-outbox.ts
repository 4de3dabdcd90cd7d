import type { EntityManager } from 'typeorm';
import { assertInTransaction } from '../postgres/queryable';
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
  await manager.query(OUTBOX_INSERT, [outboxJson(messages)]);
}

/**
 * The whole batch travels as ONE `json` parameter (one `JSON.stringify`, no per-row Buffer, no
 * `bytea[]` hex literal). `json` (not `jsonb`) keeps the text of each element as sent, so an
 * object value is stored as exactly the bytes of `JSON.stringify(value)`, as `encodeOutboxValue`
 * would give. Per element: `t` topic, `k` key, `h` headers, and the value as one of
 * `j` (object: its JSON text), `s` (string: UTF-8), `b` (Buffer, or a string PostgreSQL text
 * cannot hold: base64); none = tombstone.
 */
const OUTBOX_INSERT = `INSERT INTO outbox (topic, key, value, headers)
  SELECT t.t, t.k,
         COALESCE(convert_to(t.j::text, 'UTF8'), convert_to(t.s, 'UTF8'), decode(t.b, 'base64')),
         COALESCE(t.h, '{}'::jsonb)
    FROM ROWS FROM (json_to_recordset($1::json)
                    AS (t text, k text, j json, s text, b text, h jsonb))
         WITH ORDINALITY AS t(t, k, j, s, b, h, ord)
   ORDER BY t.ord`;

/** NUL or any surrogate (lone ones cannot be text; pairs are rare enough to send as bytes). */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000\uD800-\uDFFF]/;

interface OutboxElement {
  t: string;
  k: string | null;
  h?: Readonly<Record<string, string>>;
  j?: object;
  s?: string;
  b?: string;
}

/**
 * What PostgreSQL's json cannot take inside a value (`\u0000`, a lone surrogate), as
 * JSON.stringify escapes them. (An escaped backslash followed by "u0000" also matches: harmless,
 * it only takes the slow path.)
 */
const UNSAFE_JSON = /\\u(0000|d[89a-f])/;

/** The JSON parameter of OUTBOX_INSERT. */
export function outboxJson(messages: readonly OutboxMessage[]): string {
  const text = JSON.stringify(outboxElements(messages, false));
  // Rare: some object value holds text PostgreSQL cannot parse: send object values as bytes.
  return UNSAFE_JSON.test(text) ? JSON.stringify(outboxElements(messages, true)) : text;
}

function outboxElements(
  messages: readonly OutboxMessage[],
  objectsAsBytes: boolean,
): OutboxElement[] {
  const elements: OutboxElement[] = new Array<OutboxElement>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as OutboxMessage;
    const e: OutboxElement = { t: m.topic, k: m.key };
    if (m.headers) e.h = m.headers;
    const v = m.value;
    if (v === null) {
      // tombstone: no value field
    } else if (Buffer.isBuffer(v)) {
      e.b = v.toString('base64');
    } else if (typeof v === 'string') {
      // PostgreSQL text holds neither NUL nor lone surrogates: send those as bytes.
      if (UNSAFE_TEXT.test(v)) e.b = Buffer.from(v, 'utf8').toString('base64');
      else e.s = v;
    } else if (objectsAsBytes) {
      e.b = Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
    } else {
      e.j = v;
    }
    elements[i] = e;
  }
  return elements;
}
