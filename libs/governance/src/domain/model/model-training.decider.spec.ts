import { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import { modelDecider } from './model.decider';
import type { ModelEvent } from './model.events';

const spec = deciderSpec(modelDecider);
const modelId = ModelId('credit-lr');
const jobId = JobId('train-1');
const trainingSet = { datasetIds: ['credit'], recordCount: 40, digest: 'sha256:abc' };
const t0 = '2026-11-29T12:00:00.000Z';
const digest = 'a'.repeat(64);

const registeredForTraining: ModelEvent[] = [
  {
    type: 'ModelRegistered',
    data: { modelId, name: 'Credit LR', description: null, registeredAt: t0 },
  },
  {
    type: 'ModelTrainingScheduled',
    data: { modelId, jobId, version: 1, trainingSet, scheduledAt: t0 },
  },
];
const trained = (over: Partial<{ version: number; digest: string }> = {}) => ({
  type: 'RecordTrainingResult' as const,
  data: {
    modelId,
    jobId,
    attempt: 1,
    outcome: {
      kind: 'trained' as const,
      version: over.version ?? 1,
      digest: over.digest ?? digest,
      metrics: { trainAccuracy: 0.93 },
    },
    now: t0,
  },
});
const version1: ModelEvent = {
  type: 'ModelVersionRegistered',
  data: {
    modelId,
    version: 1,
    parentVersion: null,
    origin: 'training',
    jobId,
    trainingSet,
    registeredAt: t0,
    weightsDigest: digest,
    metrics: { trainAccuracy: 0.93 },
  },
};

describe('model decider: training by Lethe', () => {
  it('registers the model without a version and schedules its training', () => {
    spec
      .given([])
      .when({
        type: 'RegisterModel',
        data: {
          modelId,
          name: 'Credit LR',
          description: null,
          trainingSet,
          now: t0,
          training: { jobId },
        },
      })
      .then(registeredForTraining);
  });

  it('a trained result registers version 1 with its weights digest and metrics, once', () => {
    spec.given(registeredForTraining).when(trained()).then([version1]);
    spec
      .given([...registeredForTraining, version1])
      .when(trained())
      .thenNothing();
  });

  it('refuses a trained result of another job or another version', () => {
    spec
      .given(registeredForTraining)
      .when({ ...trained(), data: { ...trained().data, jobId: JobId('other') } })
      .thenThrows('JOB_NOT_FOUND');
    spec
      .given(registeredForTraining)
      .when(trained({ version: 2 }))
      .thenThrows('MODEL_VERSION_CONFLICT');
  });

  it('records a failed training once, and a later trained result still registers the version', () => {
    const failed = {
      type: 'RecordTrainingResult' as const,
      data: {
        modelId,
        jobId,
        attempt: 1,
        outcome: { kind: 'failed' as const, reason: 'X: y' },
        now: t0,
      },
    };
    const failedEvent: ModelEvent = {
      type: 'ModelTrainingFailed',
      data: { modelId, jobId, attempt: 1, reason: 'X: y', failedAt: t0 },
    };
    spec.given(registeredForTraining).when(failed).then([failedEvent]);
    spec
      .given([...registeredForTraining, failedEvent])
      .when(failed)
      .thenNothing();
    spec
      .given([...registeredForTraining, failedEvent])
      .when(trained())
      .then([version1]);
  });

  it('opens no unlearning job before version 1 exists; after training it does', () => {
    const queued: ModelEvent = {
      type: 'DeletionQueued',
      data: {
        modelId,
        requestId: DeletionRequestId('dr-1'),
        subjectRef: SubjectRef('ref-1'),
        queuedAt: t0,
      },
    };
    const open = {
      type: 'OpenUnlearningJob' as const,
      data: {
        modelId,
        jobId: JobId('job-1'),
        now: '2026-11-29T13:00:00.000Z',
        coalesceWindowMs: 1000,
        maxRequestsPerJob: 10,
      },
    };
    spec
      .given([...registeredForTraining, queued])
      .when(open)
      .thenNothing();
    const events = spec
      .given([...registeredForTraining, version1, queued])
      .when(open)
      .events();
    expect(events.map((e) => e.type)).toEqual(['UnlearningJobOpened']);
  });

  it('a successful unlearning job registers the next version with its weights digest and certificate', () => {
    const opened: ModelEvent = {
      type: 'UnlearningJobOpened',
      data: {
        modelId,
        jobId: JobId('job-1'),
        requestIds: [DeletionRequestId('dr-1')],
        subjectRefs: [SubjectRef('ref-1')],
        baseVersion: 1,
        openedAt: t0,
      },
    };
    const events = spec
      .given([...registeredForTraining, version1, opened])
      .when({
        type: 'CloseUnlearningJob',
        data: {
          modelId,
          jobId: JobId('job-1'),
          outcome: 'succeeded',
          newVersion: {
            version: 2,
            trainingSet: { ...trainingSet, recordCount: 39 },
            weightsDigest: 'b'.repeat(64),
            certificateId: CertificateId('cert-1'),
          },
          now: t0,
        },
      })
      .events();
    expect(events[0]).toMatchObject({
      type: 'ModelVersionRegistered',
      data: {
        version: 2,
        parentVersion: 1,
        weightsDigest: 'b'.repeat(64),
        certificateId: 'cert-1',
      },
    });
    expect(events[1]?.type).toBe('UnlearningJobClosed');
  });
});
