import type { EntityManager } from 'typeorm';
import type { ModelEvent, ModelVersionRegistered } from '../../domain/model/model.events';
import { evolveModel, initialModelState, type ModelState } from '../../domain/model/model.state';
import { StateView, type FoldableEvent } from './state-view.projection';

export const MODEL_EVENT_TYPES: readonly ModelEvent['type'][] = [
  'ModelRegistered',
  'ModelVersionRegistered',
  'DeletionQueued',
  'UnlearningJobOpened',
  'UnlearningJobRequeued',
  'UnlearningJobResumed',
  'UnlearningJobClosed',
  'ModelTrainingScheduled',
  'ModelTrainingFailed',
  'ModelPolicyChanged',
  'ModelTrainingRetried',
  'ModelTrainingProgressed',
];

const insertVersions = async (
  events: readonly FoldableEvent<ModelEvent>[],
  manager: EntityManager,
): Promise<void> => {
  const versions = events
    .filter((e): e is FoldableEvent<ModelVersionRegistered> => e.type === 'ModelVersionRegistered')
    .map((e) => ({
      model_id: e.data.modelId,
      version: e.data.version,
      parent_version: e.data.parentVersion,
      origin: e.data.origin,
      job_id: e.data.jobId,
      dataset_ids: e.data.trainingSet.datasetIds,
      record_count: e.data.trainingSet.recordCount,
      digest: e.data.trainingSet.digest,
      registered_at: e.data.registeredAt,
      weights_digest: e.data.weightsDigest ?? null,
      certificate_id: e.data.certificateId ?? null,
      metrics: e.data.metrics ?? null,
    }));
  if (versions.length === 0) return;
  await manager.query(
    `INSERT INTO gov_model_versions_view
     SELECT * FROM jsonb_populate_recordset(NULL::gov_model_versions_view, $1::jsonb)
     ON CONFLICT (model_id, version) DO NOTHING`,
    [JSON.stringify(versions)],
  );
};

/**
 * Read models `gov_models_view` (queue, job in flight) and `gov_model_versions_view`. Registering
 * a model also writes its first row (and version 1, when trained elsewhere) inline, so the model
 * is readable the moment its 201 is sent.
 */
export const modelsView = () =>
  new StateView<ModelState, ModelEvent>({
    name: 'governance.models',
    table: 'gov_models_view',
    idColumn: 'model_id',
    eventTypes: MODEL_EVENT_TYPES,
    initialState: initialModelState,
    evolve: evolveModel,
    keepHistory: false,
    tables: ['gov_models_view', 'gov_model_versions_view'],
    alsoHandle: insertVersions,
    columns: (s, _previous, last) => {
      if (s.status === 'absent') return null;
      return {
        name: s.name,
        description: s.description,
        current_version: s.currentVersion,
        queued_request_ids: s.queue.map((q) => q.requestId),
        oldest_queued_at: s.queue[0]?.queuedAt ?? null,
        in_flight_job_id: s.inFlightJobId,
        requeued_job_ids: s.requeuedJobIds,
        registered_at: s.registeredAt,
        training: s.training
          ? {
              jobId: s.training.jobId,
              version: s.training.version,
              status: s.training.status,
              reason: s.training.reason,
              attempt: s.training.attempt ?? 1,
              nextAttemptAt: s.training.nextAttemptAt ?? null,
              progress: s.training.progress ?? null,
            }
          : null,
        updated_at: last.metadata.occurredAt,
      };
    },
  });

export const modelsProjection = () => modelsView().projection;

/** The models view as commands write it inline (stateless; one for the process). */
export const modelsInlineView = modelsView();
