import { createHash } from 'node:crypto';
import type { PoolClient, QueryArrayResult, CustomTypesConfig } from 'pg';
import {
  QueryRunnerAlreadyReleasedError,
  type DataSource,
  type EntityManager,
  type QueryRunner,
} from 'typeorm';
import { CodedError } from '@lethe/shared';
import { EventStoreErrorCodes } from '../domain/errors';

/** Anything that runs raw SQL: a DataSource (auto-commit) or an EntityManager (maybe transactional). */
export type Queryable = DataSource | EntityManager;

/**
 * Runs `text` and returns its rows, whatever the command (TypeORM's plain `query()` returns
 * `[rows, count]` for UPDATE/DELETE … RETURNING, so the structured result is used).
 */
export async function sql<Row>(
  db: Queryable,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  if ('createQueryRunner' in db) {
    const runner = db.createQueryRunner();
    try {
      return (await runner.query(text, params, true)).records as Row[];
    } finally {
      await runner.release();
    }
  }
  if (db.queryRunner) return (await db.queryRunner.query(text, params, true)).records as Row[];
  return sql<Row>(db.connection, text, params);
}

/**
 * Runs `text` on the node-pg connection behind `db` (the caller's transaction, when there is one)
 * with rows as arrays and the per-query type parsers `types`: a column is parsed by `types` as its
 * row arrives (overlapping the client's parse with the server's sending), and no process-wide pg
 * type parser applies. Logged through TypeORM's logger like any query; TypeORM's query
 * subscribers (BeforeQuery/AfterQuery) are not called. For hot reads.
 */
export async function sqlArrays(
  db: Queryable,
  text: string,
  params: unknown[],
  types: CustomTypesConfig,
): Promise<unknown[][]> {
  const run = async (runner: QueryRunner): Promise<unknown[][]> => {
    const client = await loggedClient(runner, text, params);
    const result = (await client.query<unknown[]>({
      text,
      values: params,
      rowMode: 'array',
      types,
    })) as QueryArrayResult;
    return result.rows;
  };
  if ('createQueryRunner' in db) {
    const runner = db.createQueryRunner();
    try {
      return await run(runner);
    } finally {
      await runner.release();
    }
  }
  if (db.queryRunner) return run(db.queryRunner);
  return sqlArrays(db.connection, text, params, types);
}

/** The node-pg client behind `runner` (its transaction's, when it has one), the query logged. */
async function loggedClient(runner: QueryRunner, text: string, params: unknown[]) {
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  const client = (await runner.connect()) as PoolClient;
  runner.connection.logger.logQuery(text, params, runner);
  return client;
}

/**
 * Runs `text` in the caller's transaction as a NAMED prepared statement of its connection: the
 * server parses, analyses and plans it on the connection's first use, then only binds and runs it
 * (its plan is cached for the session; PostgreSQL replans by itself after DDL on the tables it
 * reads). For a long statement run once per small batch, that fixed work is most of the server's
 * cost (ADR 0013, "The intake statement, prepared"). The name is derived from the text, so two
 * texts never share a name. Logged through TypeORM's logger like any query; TypeORM's query
 * subscribers are not called. Needs a session per connection: behind PgBouncer, session pooling or
 * PgBouncer ≥ 1.21 with `max_prepared_statements` set.
 */
export async function sqlPrepared<Row>(
  manager: EntityManager,
  text: string,
  params: unknown[],
): Promise<Row[]> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) {
    throw new Error('sqlPrepared runs in the caller’s transaction (dataSource.transaction(…))');
  }
  const client = await loggedClient(runner, text, params);
  const result = await client.query<Row & object>({
    name: statementName(text),
    text,
    values: params,
  });
  return result.rows;
}

/**
 * Prepared statements' names by text. For FIXED texts only (the hot statements of this library):
 * each distinct text becomes one more prepared statement in every session that runs it, which
 * this cache's bound does not limit.
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    // A bound on what a caller building texts from data could make this cache hold.
    if (statementNames.size >= 64) statementNames.clear();
    name = `lethe_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** Throws unless `manager` runs inside a transaction (appends must share the caller's transaction). */
export function assertInTransaction(manager: EntityManager, operation: string): void {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new CodedError(
      EventStoreErrorCodes.transactionRequired,
      'validation',
      `${operation} must run inside a transaction (dataSource.transaction(manager => …))`,
    );
  }
}

/** The pg error behind a TypeORM QueryFailedError (or the error itself). */
export function pgErrorOf(e: unknown): { code?: string; constraint?: string; message?: string } {
  const err = e as { driverError?: unknown };
  const inner = (err?.driverError ?? e) as { code?: string; constraint?: string; message?: string };
  return inner ?? {};
}

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_DEADLOCK_DETECTED = '40P01';
export const PG_SERIALIZATION_FAILURE = '40001';
