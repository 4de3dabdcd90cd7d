import { randomUUID } from 'node:crypto';
import { backoffDelayMs, CodedError } from '@lethe/shared';
import { silentLogger, WakeableLoop, type LoggerPort } from '@lethe/shared/application';
import type { DataSource, EntityManager } from 'typeorm';
import {
  compareCheckpoints,
  formatCheckpoint,
  sameCheckpoint,
  START,
  type Checkpoint,
} from '../domain/checkpoint';
import { EventStoreErrorCodes } from '../domain/errors';
import type { UpcasterRegistry } from '../domain/upcasting';
import { AdvisoryLockSpace } from '../postgres/advisory-locks';
import { sql, type Queryable } from '../postgres/queryable';
import { readAll } from '../postgres/read-all';
import type { Projection } from './projection';

export interface ProjectionRunnerOptions {
  /** Events per transaction; default 500. */
  readonly batchSize?: number;
  /** Poll interval when caught up; default 200 ms. */
  readonly idleDelayMs?: number;
  /**
   * With `eventTypes`, how often an idle projection persists a checkpoint moved past non-matching
   * events; default 5 000 ms.
   */
  readonly idleCheckpointIntervalMs?: number;
  readonly retry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly upcasters?: UpcasterRegistry;
  readonly logger?: LoggerPort;
  /**
   * Runs each background batch (and its log lines) inside a context named by a correlation id
   * (`<projection>:<uuid>`), e.g. `(id, work) => RequestContextStore.run({ correlationId: id }, work)`.
   */
  readonly runInContext?: RunInContext;
}

/** Runs `work` with `correlationId` as the ambient correlation id (of log lines, for instance). */
export type RunInContext = <T>(correlationId: string, work: () => Promise<T>) => Promise<T>;

const noContext: RunInContext = (_id, work) => work();

export interface BatchResult {
  /** Events handed to the projection. */
  readonly handled: number;
  readonly isCaughtUp: boolean;
  /** False when another runner holds this projection's lock (nothing was done). */
  readonly locked: boolean;
  readonly checkpoint: Checkpoint;
}

/**
 * Runs named projections over the global log. Each batch is one transaction:
 * try-lock(projection) → read checkpoint → readAll after it → handle → update checkpoint.
 */
export class ProjectionRunner {
  private readonly byName = new Map<string, Projection>();
  private readonly batchSize: number;
  private readonly idleDelayMs: number;
  private readonly idleCheckpointIntervalMs: number;
  private readonly retry: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  private readonly logger: LoggerPort;
  private readonly lastIdleSave = new Map<string, number>();
  private loops: WakeableLoop[] = [];

  constructor(
    private readonly dataSource: DataSource,
    projections: readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    for (const p of projections) {
      if (this.byName.has(p.name)) throw new Error(`duplicate projection name ${p.name}`);
      this.byName.set(p.name, p);
    }
    this.batchSize = options.batchSize ?? 500;
    this.idleDelayMs = options.idleDelayMs ?? 200;
    this.idleCheckpointIntervalMs = options.idleCheckpointIntervalMs ?? 5_000;
    this.retry = options.retry ?? { baseDelayMs: 100, maxDelayMs: 10_000 };
    this.logger = options.logger ?? silentLogger;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Creates missing checkpoint rows and starts one background loop per projection. */
  async start(): Promise<void> {
    if (this.loops.length > 0) return;
    await this.ensureCheckpoints();
    this.loops = [...this.byName.values()].map((p) => this.loop(p));
    for (const loop of this.loops) loop.start();
  }

  /** Lets in-flight batches finish, then returns. */
  async stop(): Promise<void> {
    const loops = this.loops;
    this.loops = [];
    await Promise.all(loops.map((loop) => loop.stop()));
  }

  /** One batch of each projection (or of `name`); returns the events handled. */
  async runOnce(name?: string): Promise<number> {
    await this.ensureCheckpoints();
    let handled = 0;
    for (const p of this.select(name)) handled += (await this.runBatch(p)).handled;
    return handled;
  }

  /**
   * Runs batches until the projection's checkpoint is past every event that was visible when
   * called (or `timeoutMs` passes: PROJECTION_CATCH_UP_TIMEOUT).
   */
  async catchUp(name?: string, timeoutMs = 30_000): Promise<void> {
    await this.ensureCheckpoints();
    const deadline = Date.now() + timeoutMs;
    const target = await this.head();
    for (const p of this.select(name)) {
      for (let failures = 0; ;) {
        let result: BatchResult | undefined;
        try {
          result = await this.runBatch(p, true);
        } catch (error) {
          failures += 1;
          if (Date.now() > deadline) throw error;
          await sleep(Math.max(10, backoffDelayMs(failures, this.retry)));
          continue;
        }
        if (
          result.locked &&
          result.isCaughtUp &&
          compareCheckpoints(result.checkpoint, target) >= 0
        ) {
          break;
        }
        if (Date.now() > deadline) {
          throw new CodedError(
            EventStoreErrorCodes.catchUpTimeout,
            'unavailable',
            `projection ${p.name} did not catch up within ${timeoutMs} ms ` +
              `(at ${formatCheckpoint(result.checkpoint)}, target ${formatCheckpoint(target)})`,
            { projection: p.name },
          );
        }
        if (!result.locked || result.isCaughtUp) await sleep(10);
      }
    }
  }

  /**
   * Empties the read model (`reset`) and sets the checkpoint back to the start in one transaction
   * (waiting for an in-flight batch of the projection), then replays the whole log.
   */
  async rebuild(name: string, timeoutMs = 300_000): Promise<void> {
    const projection = this.get(name);
    const reset = projection.reset?.bind(projection);
    if (!reset) {
      throw new CodedError(
        EventStoreErrorCodes.projectionNotResettable,
        'validation',
        `projection ${name} has no reset hook`,
        { projection: name },
      );
    }
    await this.ensureCheckpoints();
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        AdvisoryLockSpace.projection,
        name,
      ]);
      await reset(manager);
      await saveCheckpoint(manager, name, START);
    });
    this.lastIdleSave.delete(name);
    this.logger.info(`projection ${name}: reset, replaying`);
    await this.catchUp(name, timeoutMs);
  }

  async checkpoint(name: string): Promise<Checkpoint> {
    this.get(name);
    return loadCheckpoint(this.dataSource, name);
  }

  /** One transaction for projection `p`. */
  async runBatch(p: Projection, forceSave = false): Promise<BatchResult> {
    return this.dataSource.transaction(async (manager) => {
      const [lock] = await sql<{ locked: boolean }>(
        manager,
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        [AdvisoryLockSpace.projection, p.name],
      );
      const current = await loadCheckpoint(manager, p.name);
      if (!lock?.locked)
        return { handled: 0, isCaughtUp: false, locked: false, checkpoint: current };
      const { events, checkpoint, isCaughtUp } = await readAll(manager, current, {
        limit: this.batchSize,
        types: p.eventTypes,
        upcasters: this.options.upcasters,
      });
      if (events.length > 0) await p.handle(events, manager);
      if (
        !sameCheckpoint(checkpoint, current) &&
        this.shouldSave(p.name, events.length, forceSave)
      ) {
        await saveCheckpoint(manager, p.name, checkpoint);
        return { handled: events.length, isCaughtUp, locked: true, checkpoint };
      }
      return { handled: events.length, isCaughtUp, locked: true, checkpoint: current };
    });
  }

  private shouldSave(name: string, handled: number, force: boolean): boolean {
    if (handled > 0 || force) return true;
    // Only the idle advance past filtered-out events (or to xmin) is left: throttle it, so idle
    // projections do not write (and burn transaction ids) on every poll.
    const now = Date.now();
    const last = this.lastIdleSave.get(name) ?? 0;
    if (now - last < this.idleCheckpointIntervalMs) return false;
    this.lastIdleSave.set(name, now);
    return true;
  }

  /** The background loop of one projection: a batch per turn, a pause when idle or failing. */
  private loop(p: Projection): WakeableLoop {
    const inContext = this.options.runInContext ?? noContext;
    let failures = 0;
    return new WakeableLoop(() =>
      inContext(`${p.name}:${randomUUID()}`, async () => {
        try {
          const result = await this.runBatch(p);
          failures = 0;
          return result.isCaughtUp || !result.locked ? this.idleDelayMs : 0;
        } catch (error) {
          failures += 1;
          const wait = Math.max(this.retry.baseDelayMs, backoffDelayMs(failures, this.retry));
          this.logger.error(
            `projection ${p.name}: batch failed (${failures} in a row), retrying in ${wait} ms: ${String(error)}`,
          );
          return wait;
        }
      }),
    );
  }

  private get(name: string): Projection {
    const p = this.byName.get(name);
    if (!p) {
      throw new CodedError(
        EventStoreErrorCodes.projectionUnknown,
        'validation',
        `unknown projection ${name}`,
        { projection: name },
      );
    }
    return p;
  }

  private select(name?: string): Projection[] {
    return name === undefined ? [...this.byName.values()] : [this.get(name)];
  }

  private async ensureCheckpoints(): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO projection_checkpoints (name) SELECT unnest($1::text[])
       ON CONFLICT (name) DO NOTHING`,
      [this.names],
    );
  }

  /** Last event committed and visible now, in the safe order. */
  private async head(): Promise<Checkpoint> {
    const [row] = await sql<{ txid: string; pos: string }>(
      this.dataSource,
      `SELECT transaction_id::text AS txid, global_position::text AS pos FROM events
        ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    return row ? { transactionId: BigInt(row.txid), position: BigInt(row.pos) } : START;
  }
}

async function loadCheckpoint(db: Queryable, name: string): Promise<Checkpoint> {
  const [row] = await sql<{ txid: string; pos: string }>(
    db,
    `SELECT transaction_id::text AS txid, position::text AS pos
       FROM projection_checkpoints WHERE name = $1`,
    [name],
  );
  return row ? { transactionId: BigInt(row.txid), position: BigInt(row.pos) } : START;
}

async function saveCheckpoint(manager: EntityManager, name: string, c: Checkpoint): Promise<void> {
  await manager.query(
    `INSERT INTO projection_checkpoints (name, transaction_id, position, updated_at)
     VALUES ($1, $2::text::xid8, $3::bigint, now())
     ON CONFLICT (name) DO UPDATE
        SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
            updated_at = now()`,
    [name, c.transactionId.toString(), c.position.toString()],
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
