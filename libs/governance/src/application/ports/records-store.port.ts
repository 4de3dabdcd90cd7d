import type { EntityManager } from 'typeorm';
import type { SubjectRef } from '@lethe/shared';
import type { DeletionScope } from '../../domain/deletion-request/deletion-request.events';
import type { RecordRef } from '../../domain/deletion-request/scope';

export type { RecordRef } from '../../domain/deletion-request/scope';

export interface NewRecord {
  readonly recordId: string;
  readonly subjectId: string;
  readonly subjectRef: SubjectRef;
  readonly features: readonly number[];
  readonly label: number | string;
}

/**
 * The erasable records store: the only place a raw subject id lives. Records are immutable once
 * written; erasure deletes them. Methods take the caller's transaction (EntityManager).
 */
export abstract class RecordsStore {
  /** Inserts new records; existing (dataset, record) pairs stay; `conflicting`: ids owned by another subject. */
  abstract insert(
    manager: EntityManager,
    datasetId: string,
    records: readonly NewRecord[],
  ): Promise<{ added: number; conflicting: string[] }>;

  /** Records of these subjects (all datasets). */
  abstract ofSubjects(
    manager: EntityManager,
    subjectRefs: readonly SubjectRef[],
  ): Promise<(RecordRef & { subjectRef: SubjectRef })[]>;

  /** Deletes the subject's records within `scope` (leaving id-only tombstones); returns them. */
  abstract erase(
    manager: EntityManager,
    subjectRef: SubjectRef,
    scope: DeletionScope | null,
  ): Promise<RecordRef[]>;

  /**
   * The erased records of these datasets (tombstones of ids not registered again since): what a
   * training job must not read from the datasets' sources.
   */
  abstract erasedIn(manager: EntityManager, datasetIds: readonly string[]): Promise<RecordRef[]>;
}
