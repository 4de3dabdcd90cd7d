import type { DatasetId } from '@lethe/shared';
import type { DomainEvent } from '../shared/decider';

/**
 * Where a dataset's rows are read from, as registered (`{ kind: 'mnist', … }` or
 * `{ kind: 'file', format, path, recordIdColumn, labelColumn, … }`). Validated at the edge by
 * the unlearning library's descriptor schema; the domain only carries it. It names files and
 * columns, never subjects.
 */
export type DatasetSourceRef = Readonly<{ kind: string } & Record<string, unknown>>;

export type DatasetRegistered = DomainEvent<
  'DatasetRegistered',
  {
    readonly datasetId: DatasetId;
    readonly name: string;
    readonly description: string | null;
    readonly registeredAt: string;
    /** Added later: absent on events of datasets registered without a source. */
    readonly source?: DatasetSourceRef;
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
