import type { EntityManager } from 'typeorm';
import type { Event, Projection, RecordedEvent } from '@lethe/event-store';
import type { MessageMetadata } from '@lethe/shared';
import { aggregateIdOf } from '../../domain/shared/stream-names';

export interface HistoryEntry {
  readonly version: number;
  readonly type: string;
  readonly at: string;
  readonly status: string;
  /** What the event says in public terms, where the view adds it (see StateViewSpec.historyDetail). */
  readonly modelId?: string;
  readonly method?: string;
  readonly reason?: string;
}

/** The public detail a history entry may carry besides its type, time and status. */
export type HistoryDetail = Pick<HistoryEntry, 'modelId' | 'method' | 'reason'>;

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
    last: FoldableEvent<E>,
  ) => Record<string, unknown> | null;
  readonly keepHistory: boolean;
  /** Public detail of an event for its history entry (the method, the reason); none by default. */
  readonly historyDetail?: (event: E) => HistoryDetail | null;
  /**
   * How to get the domain state back from a row. Default: the `state` jsonb column, which the
   * projection then also writes; a view whose columns hold the whole state can skip that column.
   */
  readonly fromRow?: (row: ViewRow) => S;
  /** Other read-model writes from the same events (same transaction). */
  readonly alsoHandle?: (
    events: readonly FoldableEvent<E>[],
    manager: EntityManager,
  ) => Promise<void>;
  readonly tables: readonly string[];
}

/** What a fold needs of an event: recorded ones and ones about to be appended both have it. */
export type FoldableEvent<E extends Event> = E & {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly metadata: MessageMetadata;
};

interface Working<S, E extends Event> {
  state: S;
  version: number;
  history: HistoryEntry[];
  last: FoldableEvent<E>;
}

/**
 * A read model that is the fold of each stream through the domain's own `evolve`, one row per
 * stream. Per batch: one SELECT of the rows it touches, the fold in memory, one upsert. Events at
 * or below a row's `stream_version` are skipped, so replays and rows already written inline (in
 * the appending transaction, see `rowsOfNewStreams`) are harmless; a rebuild from START gives the
 * same rows as the live run.
 */
export class StateView<S extends { status: string }, E extends Event> {
  readonly projection: Projection<E>;

  constructor(readonly spec: StateViewSpec<S, E>) {
    this.projection = {
      name: spec.name,
      eventTypes: spec.eventTypes,
      handle: (events, manager) => this.handle(events, manager),
      reset: async (manager) => {
        await manager.query(`TRUNCATE ${spec.tables.join(', ')}`);
      },
    };
  }

  /** Rows of streams that start in `events` (their version 1 is there): no read needed. */
  rowsOfNewStreams(events: readonly FoldableEvent<E>[]): Record<string, unknown>[] {
    return this.rows(this.fold(events, new Map()), new Map());
  }

  /**
   * Writes, inline in the appending transaction, everything the subscription would write for
   * streams that start in `events`: their rows and the other tables `alsoHandle` keeps. The
   * subscription then finds the rows at that version and writes nothing (ADR 0005).
   */
  async writeNewStreams(
    manager: EntityManager,
    events: readonly FoldableEvent<E>[],
  ): Promise<void> {
    await this.writeRows(manager, this.rowsOfNewStreams(events));
    await this.spec.alsoHandle?.(events, manager);
  }

  /**
   * Writes, inline in the appending transaction, one stream's row from the state its command just
   * decided, and the other tables `alsoHandle` keeps from the `appended` events. Only for views
   * without a history: their row is a function of the state and the last event, so no fold of
   * the row (which may lag) is needed. The guarded upsert (see `upsertRows`) keeps whichever of
   * this write and the subscription's holds the later stream version.
   */
  async writeDecided(
    manager: EntityManager,
    decided: { readonly state: S; readonly version: number },
    appended: readonly FoldableEvent<E>[],
  ): Promise<void> {
    if (this.spec.keepHistory) {
      throw new Error(`${this.spec.name} keeps a history: its rows are written by folding`);
    }
    const last = appended.at(-1);
    if (!last) return;
    const working = new Map([
      [
        aggregateIdOf(last.streamId),
        { state: decided.state, version: decided.version, history: [], last },
      ],
    ]);
    await this.writeRows(manager, this.rows(working, new Map()));
    await this.spec.alsoHandle?.(appended, manager);
  }

  /**
   * Brings, inline in the appending transaction, the rows of `streamIds` up to every event the
   * transaction sees, the ones it just appended included: each row is loaded, the stream's events
   * after the row's version are read and folded onto it, and the rows are written (with the other
   * tables `alsoHandle` keeps). For any view, one with a history included, and for commands that
   * append to streams that already exist (ADR 0005). The subscription, catching up later, finds the
   * rows at that version and writes nothing; if it races this write, the guarded upsert keeps the
   * later version, and both are folds of the same events.
   */
  async catchUp(manager: EntityManager, streamIds: readonly string[]): Promise<void> {
    const unique = [...new Set(streamIds)];
    if (unique.length === 0) return;
    const { table, idColumn } = this.spec;
    const loaded = await manager.query<ViewRow[]>(
      `SELECT * FROM ${table} WHERE ${idColumn} = ANY($1::text[])`,
      [unique.map(aggregateIdOf)],
    );
    const previous = new Map(loaded.map((r) => [String(r[idColumn]), r]));
    const after = unique.map((s) => previous.get(aggregateIdOf(s))?.stream_version ?? 0);
    const rows = await manager.query<
      {
        stream_id: string;
        stream_version: number;
        type: string;
        data: unknown;
        metadata: MessageMetadata;
      }[]
    >(
      `SELECT e.stream_id, e.stream_version, e.type, e.data, e.metadata
         FROM unnest($1::text[], $2::int[]) AS t(s, after)
         JOIN events e ON e.stream_id = t.s AND e.stream_version > t.after
        WHERE e.type = ANY($3::text[])
        ORDER BY e.stream_id, e.stream_version`,
      [unique, after, this.spec.eventTypes],
    );
    if (rows.length === 0) return;
    const events = rows.map(
      (r) =>
        ({
          type: r.type,
          data: r.data,
          metadata: r.metadata,
          streamId: r.stream_id,
          streamVersion: r.stream_version,
        }) as unknown as FoldableEvent<E>,
    );
    await this.writeRows(manager, this.rows(this.fold(events, previous), previous));
    await this.spec.alsoHandle?.(events, manager);
  }

  async writeRows(manager: EntityManager, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length > 0) await upsertRows(manager, this.spec.table, this.spec.idColumn, rows);
  }

  private async handle(events: readonly RecordedEvent<E>[], manager: EntityManager): Promise<void> {
    if (events.length === 0) return;
    const { table, idColumn } = this.spec;
    const firstVersion = new Map<string, number>();
    for (const e of events) {
      const id = aggregateIdOf(e.streamId);
      if (!firstVersion.has(id)) firstVersion.set(id, e.streamVersion);
    }
    // Streams that start in this batch fold from the initial state; only their stored version is
    // needed (a row written inline needs no rewrite). The others continue from their row.
    const starting = [...firstVersion].filter(([, v]) => v === 1).map(([id]) => id);
    const continuing = [...firstVersion].filter(([, v]) => v > 1).map(([id]) => id);
    const stored =
      starting.length === 0
        ? []
        : await manager.query<{ id: string; stream_version: number }[]>(
            `SELECT ${idColumn} AS id, stream_version FROM ${table} WHERE ${idColumn} = ANY($1::text[])`,
            [starting],
          );
    const loaded =
      continuing.length === 0
        ? []
        : await manager.query<ViewRow[]>(
            `SELECT * FROM ${table} WHERE ${idColumn} = ANY($1::text[])`,
            [continuing],
          );
    const previous = new Map(loaded.map((r) => [String(r[idColumn]), r]));
    const storedVersion = new Map(stored.map((r) => [r.id, r.stream_version]));
    for (const r of loaded) storedVersion.set(String(r[idColumn]), r.stream_version);
    const working = this.fold(events, previous);
    for (const [id, w] of working) {
      if ((storedVersion.get(id) ?? 0) >= w.version) working.delete(id);
    }
    await this.writeRows(manager, this.rows(working, previous));
    await this.spec.alsoHandle?.(events, manager);
  }

  private fold(
    events: readonly FoldableEvent<E>[],
    previous: ReadonlyMap<string, ViewRow>,
  ): Map<string, Working<S, E>> {
    const fromRow = this.spec.fromRow ?? ((row: ViewRow) => row.state as S);
    const working = new Map<string, Working<S, E>>();
    for (const event of events) {
      const id = aggregateIdOf(event.streamId);
      const prev = previous.get(id);
      const cur = working.get(id) ?? {
        state: prev ? fromRow(prev) : this.spec.initialState(),
        version: prev?.stream_version ?? 0,
        history: [...(prev?.history ?? [])],
        last: event,
      };
      if (event.streamVersion <= cur.version) continue;
      cur.state = this.spec.evolve(cur.state, event);
      cur.version = event.streamVersion;
      cur.last = event;
      if (this.spec.keepHistory) {
        cur.history.push({
          version: event.streamVersion,
          type: event.type,
          at: event.metadata.occurredAt,
          status: cur.state.status,
          ...this.spec.historyDetail?.(event),
        });
      }
      working.set(id, cur);
    }
    return working;
  }

  private rows(
    working: ReadonlyMap<string, Working<S, E>>,
    previous: ReadonlyMap<string, ViewRow>,
  ): Record<string, unknown>[] {
    const rows: Record<string, unknown>[] = [];
    for (const [id, w] of working) {
      const columns = this.spec.columns(w.state, previous.get(id), w.last);
      if (columns === null) continue;
      rows.push({
        ...columns,
        [this.spec.idColumn]: id,
        ...(this.spec.fromRow ? {} : { state: w.state }),
        stream_version: w.version,
        ...(this.spec.keepHistory ? { history: w.history } : {}),
      });
    }
    return rows;
  }
}

/** The projection of a state view (see StateView). */
export const stateViewProjection = <S extends { status: string }, E extends Event>(
  spec: StateViewSpec<S, E>,
): Projection<E> => new StateView(spec).projection;

/**
 * One INSERT … ON CONFLICT DO UPDATE for all rows, columns matched by name. A stored row at the
 * same or a later stream version is kept: the subscription and a command's inline write may race,
 * and the older of the two must never overwrite the newer.
 */
export async function upsertRows(
  manager: EntityManager,
  table: string,
  idColumn: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  // Rows in id order, so that two writers of overlapping rows (the subscription and a command's
  // inline write) lock them in the same order and cannot deadlock.
  const key = (r: Record<string, unknown>) => String(r[idColumn]);
  const sorted =
    rows.length < 2
      ? rows
      : [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const columns = Object.keys(first);
  const list = columns.join(', ');
  const updates = columns
    .filter((c) => c !== idColumn)
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');
  await manager.query(
    `INSERT INTO ${table} (${list})
     SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (${idColumn}) DO UPDATE SET ${updates}
     WHERE ${table}.stream_version < EXCLUDED.stream_version`,
    [JSON.stringify(sorted)],
  );
}
