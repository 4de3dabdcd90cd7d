import type { DatasetId } from '@lethe/shared';
import type { DomainEvent } from '../shared/decider';

export type DatasetRegistered = DomainEvent<
  'DatasetRegistered',
  {
    readonly datasetId: DatasetId;
    readonly name: string;
    readonly description: string | null;
    readonly registeredAt: string;
  }
>;

/** Records were added to the erasable records store; the event carries counts, never subjects. */
export type DatasetRecordsAdded = DomainEvent<
  'DatasetRecordsAdded',
  {
    readonly datasetId: DatasetId;
    readonly added: number;
    readonly unchanged: number;
    readonly addedAt: string;
  }
>;

export type DatasetEvent = DatasetRegistered | DatasetRecordsAdded;
