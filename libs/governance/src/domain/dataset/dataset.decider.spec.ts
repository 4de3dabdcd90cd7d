import { DatasetId } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import { datasetDecider } from './dataset.decider';
import type { DatasetEvent } from './dataset.events';

const spec = deciderSpec(datasetDecider);
const datasetId = DatasetId('mnist-demo');
const now = '2026-11-26T12:00:00.000Z';
const registered: DatasetEvent = {
  type: 'DatasetRegistered',
  data: { datasetId, name: 'MNIST demo', description: null, registeredAt: now },
};

describe('dataset decider', () => {
  it('registers once', () => {
    const register = {
      type: 'RegisterDataset' as const,
      data: { datasetId, name: 'MNIST demo', description: null, now },
    };
    spec.given([]).when(register).then([registered]);
    spec.given([registered]).when(register).thenThrows('DATASET_ALREADY_EXISTS');
  });

  it('carries a registered source into the event', () => {
    const source = {
      kind: 'file',
      format: 'csv',
      path: 'x.csv',
      recordIdColumn: 'id',
      labelColumn: 'y',
    };
    spec
      .given([])
      .when({
        type: 'RegisterDataset',
        data: { datasetId, name: 'MNIST demo', description: null, source, now },
      })
      .then([{ type: 'DatasetRegistered', data: { ...registered.data, source } }]);
  });

  it('records added records by count; nothing when none were new', () => {
    spec
      .given([registered])
      .when({ type: 'AddDatasetRecords', data: { datasetId, added: 3, unchanged: 1, now } })
      .then([
        { type: 'DatasetRecordsAdded', data: { datasetId, added: 3, unchanged: 1, addedAt: now } },
      ]);
    spec
      .given([registered])
      .when({ type: 'AddDatasetRecords', data: { datasetId, added: 0, unchanged: 4, now } })
      .thenNothing();
    spec
      .given([])
      .when({ type: 'AddDatasetRecords', data: { datasetId, added: 1, unchanged: 0, now } })
      .thenThrows('DATASET_NOT_FOUND');
  });
});
