import type { EntityManager } from 'typeorm';
import type { Event, Projection, RecordedEvent } from '@lethe/event-store';
import { aggregateIdOf } from '../../domain/shared/stream-names';

export interface HistoryEntry {
  readonly version: number;
  readonly type: string;
  readonly at: string;
  readonly status: string;
}

/** A row of a state view as loaded. */
export type ViewRow = Readonly<Record<string, unknown>> & {
  readonly stream_version: number;
  readonly history?: HistoryEntry[];
};

export interface StateViewSpec<S extends { status: string }, E extends Event> {
  readonly name: string;
  readonly table: string;
  readonly idColumn: string;
  readonly eventTypes: readonly string[];
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
  /** Columns of the row (besides id, state, stream_version, history); null: write no row. */
  readonly columns: (
    state: S,
    previous: ViewRow | undefined,
    last: RecordedEvent<E>,
  ) => Record<string, unknown> | null;
  readonly keepHistory: boolean;
  /**
   * How to get the domain state back from a row. Default: the `state` jsonb column, which the
   * projection then also writes; a view whose columns hold the whole state can skip that column.
   */
  readonly fromRow?: (row: ViewRow) => S;
  /** Other read-model writes from the same events (same transaction). */
  readonly alsoHandle?: (
    events: readonly RecordedEvent<E>[],
    manager: EntityManager,
  ) => Promise<void>;
  readonly tables: readonly string[];
}

/**
 * A read model that is the fold of each stream through the domain's own `evolve`, one row per
 * stream: load the rows a batch touches (one SELECT), fold the events in memory, write every row
 * back (one upsert). Events at or below a row's `stream_version` are skipped, so replays are
 * harmless; a rebuild from START gives the same rows as the live run.
 */
export const stateViewProjection = <S extends { status: string }, E extends Event>(
  spec: StateViewSpec<S, E>,
): Projection<E> => ({
  name: spec.name,
  eventTypes: spec.eventTypes,
  async handle(events, manager) {
    if (events.length === 0) return;
    // A stream whose first event here is its version 1 has no row yet: only load the others.
    const firstVersion = new Map<string, number>();
    for (const e of events) {
      const id = aggregateIdOf(e.streamId);
      if (!firstVersion.has(id)) firstVersion.set(id, e.streamVersion);
    }
    const ids = [...firstVersion].filter(([, v]) => v > 1).map(([id]) => id);
    const loaded =
      ids.length === 0
        ? []
        : await manager.query<ViewRow[]>(
            `SELECT * FROM ${spec.table} WHERE ${spec.idColumn} = ANY($1::text[])`,
            [ids],
          );
    const fromRow = spec.fromRow ?? ((row: ViewRow) => row.state as S);
    const previous = new Map(loaded.map((r) => [String(r[spec.idColumn]), r]));
    const working = new Map<
      string,
      { state: S; version: number; history: HistoryEntry[]; last: RecordedEvent<E> }
    >();
    for (const event of events) {
      const id = aggregateIdOf(event.streamId);
      const prev = previous.get(id);
      const cur = working.get(id) ?? {
        state: prev ? fromRow(prev) : spec.initialState(),
        version: prev?.stream_version ?? 0,
        history: [...(prev?.history ?? [])],
        last: event,
      };
      if (event.streamVersion <= cur.version) continue;
      cur.state = spec.evolve(cur.state, event);
      cur.version = event.streamVersion;
      cur.last = event;
      if (spec.keepHistory) {
        cur.history.push({
          version: event.streamVersion,
          type: event.type,
          at: event.metadata.occurredAt,
          status: cur.state.status,
        });
      }
      working.set(id, cur);
    }
    const rows: Record<string, unknown>[] = [];
    for (const [id, w] of working) {
      const columns = spec.columns(w.state, previous.get(id), w.last);
      if (columns === null) continue;
      rows.push({
        ...columns,
        [spec.idColumn]: id,
        ...(spec.fromRow ? {} : { state: w.state }),
        stream_version: w.version,
        ...(spec.keepHistory ? { history: w.history } : {}),
      });
    }
    if (rows.length > 0) await upsertRows(manager, spec.table, spec.idColumn, rows);
    await spec.alsoHandle?.(events, manager);
  },
  async reset(manager) {
    await manager.query(`TRUNCATE ${spec.tables.join(', ')}`);
  },
});

/** One INSERT … ON CONFLICT DO UPDATE for all rows, columns matched by name. */
export async function upsertRows(
  manager: EntityManager,
  table: string,
  idColumn: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const list = columns.join(', ');
  const updates = columns
    .filter((c) => c !== idColumn)
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');
  await manager.query(
    `INSERT INTO ${table} (${list})
     SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (${idColumn}) DO UPDATE SET ${updates}`,
    [JSON.stringify(rows)],
  );
}
