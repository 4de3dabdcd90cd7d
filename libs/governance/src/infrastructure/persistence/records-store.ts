import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SubjectRef } from '@lethe/shared';
import type { DeletionScope } from '../../domain/deletion-request/deletion-request.events';
import {
  RecordsStore,
  type NewRecord,
  type RecordRef,
} from '../../application/ports/records-store.port';

/**
 * The erasable records store (gov_records): the only table that holds a raw subject id. Records
 * are immutable once written; erasure deletes them (SubjectRecordsErased says that it happened).
 */
@Injectable()
export class PgRecordsStore implements RecordsStore {
  /** Inserts new records; existing (dataset, record) pairs are left as they are. */
  async insert(
    manager: EntityManager,
    datasetId: string,
    records: readonly NewRecord[],
  ): Promise<{ added: number; conflicting: string[] }> {
    if (records.length === 0) return { added: 0, conflicting: [] };
    const payload = JSON.stringify(
      records.map((r) => ({
        record_id: r.recordId,
        subject_id: r.subjectId,
        subject_ref: r.subjectRef,
        features: r.features,
        label: r.label,
      })),
    );
    const inserted = await manager.query<{ record_id: string }[]>(
      `INSERT INTO gov_records (dataset_id, record_id, subject_id, subject_ref, features, label)
       SELECT $1, t.record_id, t.subject_id, t.subject_ref,
              ARRAY(SELECT jsonb_array_elements_text(t.features)::real), t.label
         FROM jsonb_to_recordset($2::jsonb)
              AS t(record_id text, subject_id text, subject_ref text, features jsonb, label jsonb)
       ON CONFLICT (dataset_id, record_id) DO NOTHING
       RETURNING record_id`,
      [datasetId, payload],
    );
    // Re-sent records must be the same subject's; a different subject under an existing id is a conflict.
    const conflicting = await manager.query<{ record_id: string }[]>(
      `SELECT g.record_id FROM gov_records g
         JOIN jsonb_to_recordset($2::jsonb) AS t(record_id text, subject_ref text)
           ON g.record_id = t.record_id
        WHERE g.dataset_id = $1 AND g.subject_ref <> t.subject_ref`,
      [datasetId, payload],
    );
    return { added: inserted.length, conflicting: conflicting.map((c) => c.record_id) };
  }

  /** Records of these subjects (all datasets), for lineage resolution. */
  async ofSubjects(
    manager: EntityManager,
    subjectRefs: readonly SubjectRef[],
  ): Promise<(RecordRef & { subjectRef: SubjectRef })[]> {
    if (subjectRefs.length === 0) return [];
    const rows = await manager.query<
      { subject_ref: SubjectRef; dataset_id: string; record_id: string }[]
    >(
      `SELECT subject_ref, dataset_id, record_id FROM gov_records WHERE subject_ref = ANY($1::text[])`,
      [[...new Set(subjectRefs)]],
    );
    return rows.map((r) => ({
      subjectRef: r.subject_ref,
      datasetId: r.dataset_id,
      recordId: r.record_id,
    }));
  }

  /**
   * Deletes the subject's records within `scope` and leaves a tombstone (dataset and record id
   * only) for each in gov_erased_records, in one statement; returns what was deleted.
   */
  async erase(
    manager: EntityManager,
    subjectRef: SubjectRef,
    scope: DeletionScope | null,
  ): Promise<RecordRef[]> {
    const rows = await manager.query<{ dataset_id: string; record_id: string }[]>(
      `WITH erased AS (
         DELETE FROM gov_records
          WHERE subject_ref = $1
            AND ($2::text[] IS NULL OR dataset_id = ANY($2::text[]))
            AND ($3::text[] IS NULL OR record_id = ANY($3::text[]))
         RETURNING dataset_id, record_id
       ), tombstones AS (
         INSERT INTO gov_erased_records (dataset_id, record_id)
         SELECT dataset_id, record_id FROM erased
         ON CONFLICT (dataset_id, record_id) DO UPDATE SET erased_at = now()
       )
       SELECT dataset_id, record_id FROM erased`,
      [subjectRef, scope?.datasetIds ?? null, scope?.recordIds ?? null],
    );
    return rows.map((r) => ({ datasetId: r.dataset_id, recordId: r.record_id }));
  }

  /** Erased records of these datasets that are not (re-)registered since, sorted. */
  async erasedIn(manager: EntityManager, datasetIds: readonly string[]): Promise<RecordRef[]> {
    if (datasetIds.length === 0) return [];
    const rows = await manager.query<{ dataset_id: string; record_id: string }[]>(
      `SELECT e.dataset_id, e.record_id FROM gov_erased_records e
        WHERE e.dataset_id = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM gov_records g
                           WHERE g.dataset_id = e.dataset_id AND g.record_id = e.record_id)
        ORDER BY e.dataset_id, e.record_id`,
      [[...new Set(datasetIds)]],
    );
    return rows.map((r) => ({ datasetId: r.dataset_id, recordId: r.record_id }));
  }
}
