import type { DatasetId } from '@lethe/shared';
import { assertNever, type Decider } from '../shared/decider';
import { GovernanceError } from '../governance.errors';
import type { DatasetEvent, DatasetSourceRef } from './dataset.events';

export type DatasetState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'registered';
      readonly datasetId: DatasetId;
      readonly recordCount: number;
      /** Where the worker reads the rows; null when none was registered. */
      readonly source: DatasetSourceRef | null;
    };

export type DatasetCommand =
  | {
      readonly type: 'RegisterDataset';
      readonly data: {
        readonly datasetId: DatasetId;
        readonly name: string;
        readonly description: string | null;
        readonly source?: DatasetSourceRef;
        readonly now: string;
      };
    }
  | {
      readonly type: 'AddDatasetRecords';
      readonly data: {
        readonly datasetId: DatasetId;
        readonly added: number;
        readonly unchanged: number;
        readonly now: string;
      };
    };

export const evolveDataset = (state: DatasetState, event: DatasetEvent): DatasetState => {
  switch (event.type) {
    case 'DatasetRegistered':
      return {
        status: 'registered',
        datasetId: event.data.datasetId,
        recordCount: 0,
        source: event.data.source ?? null,
      };
    case 'DatasetRecordsAdded':
      return state.status === 'registered'
        ? { ...state, recordCount: state.recordCount + event.data.added }
        : state;
    default:
      return assertNever(event);
  }
};

export const decideDataset = (
  command: DatasetCommand,
  state: DatasetState,
): readonly DatasetEvent[] => {
  switch (command.type) {
    case 'RegisterDataset': {
      const { datasetId, name, description, source, now } = command.data;
      if (state.status !== 'absent') {
        throw new GovernanceError('DATASET_ALREADY_EXISTS', `dataset ${datasetId} already exists`, {
          datasetId,
        });
      }
      return [
        {
          type: 'DatasetRegistered',
          data: {
            datasetId,
            name,
            description,
            registeredAt: now,
            ...(source === undefined ? {} : { source }),
          },
        },
      ];
    }
    case 'AddDatasetRecords': {
      const { datasetId, added, unchanged, now } = command.data;
      if (state.status === 'absent') {
        throw new GovernanceError('DATASET_NOT_FOUND', `dataset ${datasetId} does not exist`, {
          datasetId,
        });
      }
      if (added === 0) return [];
      return [{ type: 'DatasetRecordsAdded', data: { datasetId, added, unchanged, addedAt: now } }];
    }
    default:
      return assertNever(command);
  }
};

export const datasetDecider: Decider<DatasetCommand, DatasetEvent, DatasetState> = {
  decide: decideDataset,
  evolve: evolveDataset,
  initialState: () => ({ status: 'absent' }),
};
