/**
 * BASELINE for the bench only: `readStream` as it was before the single-stream read was trimmed
 * (every event column, `recorded_at` as a timestamptz parsed by pg into a Date, a BigInt parsed
 * per row for `transaction_id`). Kept verbatim in behaviour (without upcasting, which the bench
 * does not use) so the bench prints before and after in one run.
 */
import type { DataSource } from 'typeorm';
import type { RecordedEvent } from '@lethe/event-store';

const EVENT_COLUMNS = `global_position::text AS global_position, stream_id, stream_version,
  event_id::text AS event_id, type, schema_version, data, metadata,
  transaction_id::text AS transaction_id, recorded_at`;

interface Row {
  current_version: number | null;
  global_position: string | null;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  transaction_id: string;
  recorded_at: Date;
}

export async function baselineReadStream(
  ds: DataSource,
  streamId: string,
): Promise<{ streamExists: boolean; currentVersion: number; events: RecordedEvent[] }> {
  const runner = ds.createQueryRunner();
  let rows: Row[];
  try {
    rows = (
      await runner.query(
        `WITH s AS (SELECT (SELECT version FROM streams WHERE stream_id = $1) AS current_version)
         SELECT s.current_version, e.*
           FROM s LEFT JOIN LATERAL (
             SELECT ${EVENT_COLUMNS}
               FROM events
              WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
              ORDER BY stream_version) e ON true`,
        [streamId, 1, 2_147_483_647],
        true,
      )
    ).records as Row[];
  } finally {
    await runner.release();
  }
  const currentVersion = rows[0]?.current_version ?? null;
  const events = rows
    .filter((r) => r.global_position !== null)
    .map((r) => ({
      type: r.type,
      data: r.data,
      metadata: r.metadata,
      eventId: r.event_id,
      streamId: r.stream_id,
      streamVersion: r.stream_version,
      globalPosition: BigInt(r.global_position as string),
      transactionId: BigInt(r.transaction_id),
      schemaVersion: r.schema_version,
      recordedAt: r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at),
    }));
  if (
    !events.every(
      (e, i) => i === 0 || (events[i - 1] as RecordedEvent).streamVersion < e.streamVersion,
    )
  ) {
    events.sort((a, b) => a.streamVersion - b.streamVersion);
  }
  return { streamExists: currentVersion !== null, currentVersion: currentVersion ?? 0, events };
}
