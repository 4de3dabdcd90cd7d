import type { MessageMetadata } from '@lethe/shared';
import type { Event, NewEvent, RecordedEvent } from '../domain/event';

/**
 * `recorded_at` as epoch milliseconds (float8, an exact integer): `new Date(ms)` is far cheaper
 * than pg's parse of a timestamptz text, and gives the same Date (both keep whole milliseconds).
 */
const RECORDED_AT_MS = 'floor(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_at';

/** Columns selected for a RecordedEvent (bigint and xid8 as text, to keep precision). */
export const EVENT_COLUMNS = `global_position::text AS global_position, stream_id, stream_version,
  event_id::text AS event_id, type, schema_version, data, metadata,
  transaction_id::text AS transaction_id, ${RECORDED_AT_MS}`;

export interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: MessageMetadata;
  transaction_id: string;
  /** Epoch milliseconds (see RECORDED_AT_MS). */
  recorded_at: number;
}

export function toRecordedEvent<E extends Event>(row: EventRow): RecordedEvent<E> {
  return {
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: BigInt(row.global_position),
    transactionId: BigInt(row.transaction_id),
    schemaVersion: row.schema_version,
    recordedAt: new Date(row.recorded_at),
  } as unknown as RecordedEvent<E>;
}

/**
 * FROM clause of the events INSERT: one `jsonb_to_recordset` pass over a JSON array of elements
 * `{ s?: streamId, n?: streamVersion, type, data, metadata }` (event id and schema version are
 * taken from the metadata, so they travel once), as `t(s, n, type, data, metadata, ord)`.
 */
export const eventsRecordset = (param: string): string =>
  `ROWS FROM (jsonb_to_recordset(${param}::jsonb)
     AS (s text, n int, type text, data jsonb, metadata jsonb))
   WITH ORDINALITY AS t(s, n, type, data, metadata, ord)`;
export const EVENT_ID_SQL = "(t.metadata->>'messageId')::uuid";
export const EVENT_SCHEMA_VERSION_SQL = "(t.metadata->>'schemaVersion')::int";
/** A JSON null `data` arrives as SQL NULL from a recordset: store it as JSON null. */
export const EVENT_DATA_SQL = "COALESCE(t.data, 'null'::jsonb)";

/** One event as the JSON element the INSERT … FROM jsonb_to_recordset statements read. */
export function eventJson(e: NewEvent, streamId?: string, streamVersion?: number): object {
  return streamId === undefined
    ? { type: e.type, data: e.data ?? null, metadata: e.metadata }
    : { s: streamId, n: streamVersion, type: e.type, data: e.data ?? null, metadata: e.metadata };
}
