import type { Event, RecordedEvent } from '../domain/event';
import { NO_UPCASTERS, type UpcasterRegistry } from '../domain/upcasting';
import type { EventRow } from './event-rows';
import { sqlArrays, type Queryable } from './queryable';

export interface ReadStreamOptions {
  /** First stream version to return (1-based, inclusive); default 1. */
  readonly fromVersion?: number;
  /** Last stream version to return (inclusive); default: the end. */
  readonly toVersion?: number;
  readonly upcasters?: UpcasterRegistry;
}

/**
 * readStream's statement: the stream's version and its events, one row each (a single row with
 * NULL event columns when the stream has none in range). Columns as the server stores them, no
 * text casts (each cast costs the server a copy): `global_position` and `recorded_us` (int8) and
 * `transaction_id` (xid8) arrive as text, `data` and `metadata` (jsonb) parsed as they arrive.
 * `recorded_us` is exact whole microseconds: date_part's float8 seconds times 10^6 stays within
 * 0.4 µs of the stored integer for any date before 2100, so rounding restores it.
 */
export const RECORDED_US_SQL = "round(date_part('epoch', recorded_at) * 1000000)::int8";

const READ_STREAM_SQL = `WITH s AS (SELECT (SELECT version FROM streams WHERE stream_id = $1) AS current_version)
     SELECT s.current_version, e.*
       FROM s LEFT JOIN LATERAL (
         SELECT global_position, stream_version, event_id, type, schema_version, data, metadata,
                transaction_id, ${RECORDED_US_SQL} AS recorded_us
           FROM events
          WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
          ORDER BY stream_version) e ON true`;

type StreamRow = [
  currentVersion: number | null,
  globalPosition: string | null,
  streamVersion: number,
  eventId: string,
  type: string,
  schemaVersion: number,
  data: unknown,
  metadata: EventRow['metadata'],
  transactionId: string,
  recordedUs: string,
];

const OID = { int2: 21, int4: 23, json: 114, jsonb: 3802 } as const;
const asText = (value: string): string => value;
const asInt = (value: string): number => Number.parseInt(value, 10);
/** Per-query parsers: JSON parsed as each row arrives, integers as numbers, the rest as text. */
const STREAM_TYPES = {
  getTypeParser: (oid: number) =>
    oid === OID.jsonb || oid === OID.json
      ? JSON.parse
      : oid === OID.int4 || oid === OID.int2
        ? asInt
        : asText,
};

export interface ReadStreamResult<E extends Event> {
  readonly streamExists: boolean;
  /** Version of the stream in the same snapshot as `events` (0 when absent). */
  readonly currentVersion: number;
  readonly events: RecordedEvent<E>[];
}

/**
 * Reads one stream in version order, in a single statement (one consistent snapshot): the
 * stream's version and its events. The stream id is not selected (it is `streamId`); the rows
 * come as arrays with `data` and `metadata` parsed by per-query parsers while the server is still
 * sending (immune to a process-wide pg json/jsonb parser another library may install); the events
 * of one transaction share one parsed BigInt. docs/benchmarks.md, "The one-stream read".
 */
export async function readStream<E extends Event = Event>(
  db: Queryable,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<ReadStreamResult<E>> {
  const rows = (await sqlArrays(
    db,
    READ_STREAM_SQL,
    [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
    STREAM_TYPES,
  )) as StreamRow[];
  const currentVersion = rows[0]?.[0] ?? null;
  const upcasters = options.upcasters ?? NO_UPCASTERS;
  const events: RecordedEvent<E>[] = [];
  let ordered = true;
  let lastVersion = 0;
  let txText = '';
  let tx = 0n;
  for (const r of rows) {
    const [, globalPosition, streamVersion, eventId, type, schemaVersion, data, metadata] = r;
    if (globalPosition === null) continue;
    if (r[8] !== txText) {
      txText = r[8];
      tx = BigInt(txText);
    }
    if (streamVersion <= lastVersion) ordered = false;
    lastVersion = streamVersion;
    const event = {
      type,
      data,
      metadata,
      eventId,
      streamId,
      streamVersion,
      globalPosition: BigInt(globalPosition),
      transactionId: tx,
      schemaVersion,
      recordedAt: new Date(Math.floor(Number(r[9]) / 1000)),
    } as unknown as RecordedEvent<E>;
    events.push(upcasters.size === 0 ? event : upcasters.upcast(event));
  }
  // The lateral subquery is ordered and joined to one row, so the rows come in version order
  // without a second sort of the whole stream in PostgreSQL; checked above, in O(n), all the same.
  if (!ordered) events.sort((a, b) => a.streamVersion - b.streamVersion);
  return { streamExists: currentVersion !== null, currentVersion: currentVersion ?? 0, events };
}
