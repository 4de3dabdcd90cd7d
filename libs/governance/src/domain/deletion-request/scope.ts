import type { DeletionScope } from './deletion-request.events';

export interface RecordRef {
  readonly datasetId: string;
  readonly recordId: string;
}

/** Whether a record falls in a request's scope (null scope = every record of the subject). */
export const inScope = (scope: DeletionScope | null, r: RecordRef): boolean =>
  scope === null ||
  ((scope.datasetIds === null || scope.datasetIds.includes(r.datasetId)) &&
    (scope.recordIds === null || scope.recordIds.includes(r.recordId)));
