import type { EntityManager } from 'typeorm';

export interface RefusedResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly messageId: string | null;
  readonly jobId: string | null;
  readonly modelId: string | null;
  readonly kind: string | null;
  readonly code: string;
  readonly reason: string;
  readonly value: string | null;
  readonly refusedAt: Date;
}

/**
 * The record of refused result messages (the results' dead letter, kept in PostgreSQL:
 * docs/adr/0010-job-results.md). One row per (topic, partition, offset): a redelivery adds none.
 */
export abstract class RefusedResults {
  abstract record(manager: EntityManager, r: RefusedResult): Promise<void>;
}
