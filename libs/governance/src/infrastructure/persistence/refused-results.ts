import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RefusedResults, type RefusedResult } from '../../application/ports/refused-results.port';

const MAX_VALUE = 64 * 1024;

/** Table gov_refused_results (migration JobResults1796000000000). */
@Injectable()
export class PgRefusedResults implements RefusedResults {
  async record(manager: EntityManager, r: RefusedResult): Promise<void> {
    await manager.query(
      `INSERT INTO gov_refused_results
         (topic, partition, "offset", message_id, job_id, model_id, kind, code, reason, value, refused_at)
       VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (topic, partition, "offset") DO NOTHING`,
      [
        r.topic,
        r.partition,
        r.offset,
        r.messageId,
        r.jobId,
        r.modelId,
        r.kind,
        r.code,
        r.reason.slice(0, 4000),
        r.value === null ? null : r.value.split('\u0000').join('').slice(0, MAX_VALUE),
        r.refusedAt.toISOString(),
      ],
    );
  }
}
