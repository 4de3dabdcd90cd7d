import { DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import { modelDecider } from './model.decider';
import type { ModelEvent } from './model.events';

const spec = deciderSpec(modelDecider);
const modelId = ModelId('mnist-mlp');
const trainingSet = { datasetIds: ['mnist-demo'], recordCount: 100, digest: 'sha256:abc' };
const t0 = '2026-11-26T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();

const registered: ModelEvent[] = [
  {
    type: 'ModelRegistered',
    data: { modelId, name: 'MNIST MLP', description: null, registeredAt: t0 },
  },
  {
    type: 'ModelVersionRegistered',
    data: {
      modelId,
      version: 1,
      parentVersion: null,
      origin: 'registration',
      jobId: null,
      trainingSet,
      registeredAt: t0,
    },
  },
];
const queued = (n: number, ms: number): ModelEvent => ({
  type: 'DeletionQueued',
  data: {
    modelId,
    requestId: DeletionRequestId(`dr-${n}`),
    subjectRef: SubjectRef(`ref-${n}`),
    queuedAt: at(ms),
  },
});
const open = (nowMs: number, jobId = 'job-1', max = 100) => ({
  type: 'OpenUnlearningJob' as const,
  data: {
    modelId,
    jobId: JobId(jobId),
    now: at(nowMs),
    coalesceWindowMs: 1000,
    maxRequestsPerJob: max,
  },
});
const opened = (jobId: string, ns: number[], nowMs: number, baseVersion = 1): ModelEvent => ({
  type: 'UnlearningJobOpened',
  data: {
    modelId,
    jobId: JobId(jobId),
    requestIds: ns.map((n) => DeletionRequestId(`dr-${n}`)),
    subjectRefs: ns.map((n) => SubjectRef(`ref-${n}`)),
    baseVersion,
    openedAt: at(nowMs),
  },
});

describe('model decider', () => {
  it('registers a model with version 1', () => {
    spec
      .given([])
      .when({
        type: 'RegisterModel',
        data: { modelId, name: 'MNIST MLP', description: null, trainingSet, now: t0 },
      })
      .then(registered);
  });

  it('refuses a second registration and an empty training set', () => {
    spec
      .given(registered)
      .when({
        type: 'RegisterModel',
        data: { modelId, name: 'x', description: null, trainingSet, now: t0 },
      })
      .thenThrows('MODEL_ALREADY_REGISTERED');
    spec
      .given([])
      .when({
        type: 'RegisterModel',
        data: {
          modelId,
          name: 'x',
          description: null,
          trainingSet: { ...trainingSet, recordCount: 0 },
          now: t0,
        },
      })
      .thenThrows('EMPTY_TRAINING_SET');
  });

  it('queues a deletion once per request', () => {
    const cmd = {
      type: 'QueueDeletion' as const,
      data: {
        modelId,
        requestId: DeletionRequestId('dr-1'),
        subjectRef: SubjectRef('ref-1'),
        now: at(0),
      },
    };
    spec
      .given(registered)
      .when(cmd)
      .then([queued(1, 0)]);
    spec
      .given([...registered, queued(1, 0)])
      .when(cmd)
      .thenNothing();
  });

  it('queueing for an unknown model fails', () => {
    spec
      .given([])
      .when({
        type: 'QueueDeletion',
        data: {
          modelId,
          requestId: DeletionRequestId('dr-1'),
          subjectRef: SubjectRef('r'),
          now: t0,
        },
      })
      .thenThrows('MODEL_NOT_FOUND');
  });

  describe('coalescing', () => {
    const three = [...registered, queued(1, 0), queued(2, 300), queued(3, 900)];

    it('waits while the window of the oldest queued request is open', () => {
      spec.given(three).when(open(999)).thenNothing();
    });

    it('opens one job with every request that arrived within the window', () => {
      spec
        .given(three)
        .when(open(1000))
        .then([opened('job-1', [1, 2, 3], 1000)]);
    });

    it('opens early when the batch is full, taking at most the maximum', () => {
      spec
        .given(three)
        .when(open(10, 'job-1', 2))
        .then([opened('job-1', [1, 2], 10)]);
    });

    it('keeps one job in flight per model; the next job takes what queued meanwhile', () => {
      const inFlight = [...three, opened('job-1', [1, 2, 3], 1000), queued(4, 1500)];
      spec.given(inFlight).when(open(5000, 'job-2')).thenNothing();
      const closed: ModelEvent = {
        type: 'UnlearningJobClosed',
        data: { modelId, jobId: JobId('job-1'), outcome: 'failed', closedAt: at(6000) },
      };
      spec
        .given([...inFlight, closed])
        .when(open(6000, 'job-2'))
        .then([opened('job-2', [4], 6000)]);
    });

    it('does nothing with an empty queue', () => {
      spec.given(registered).when(open(99_999)).thenNothing();
    });
  });

  describe('closing a job', () => {
    const inFlight = [...registered, queued(1, 0), opened('job-1', [1], 1000)];
    const newTrainingSet = { datasetIds: ['mnist-demo'], recordCount: 99, digest: 'sha256:def' };

    it('a success registers the released version and frees the slot', () => {
      spec
        .given(inFlight)
        .when({
          type: 'CloseUnlearningJob',
          data: {
            modelId,
            jobId: JobId('job-1'),
            outcome: 'succeeded',
            newVersion: { version: 2, trainingSet: newTrainingSet },
            now: at(2000),
          },
        })
        .then([
          {
            type: 'ModelVersionRegistered',
            data: {
              modelId,
              version: 2,
              parentVersion: 1,
              origin: 'unlearning',
              jobId: JobId('job-1'),
              trainingSet: newTrainingSet,
              registeredAt: at(2000),
            },
          },
          {
            type: 'UnlearningJobClosed',
            data: { modelId, jobId: JobId('job-1'), outcome: 'succeeded', closedAt: at(2000) },
          },
        ]);
    });

    it('refuses a released version that does not move forward', () => {
      spec
        .given(inFlight)
        .when({
          type: 'CloseUnlearningJob',
          data: {
            modelId,
            jobId: JobId('job-1'),
            outcome: 'succeeded',
            newVersion: { version: 1, trainingSet: newTrainingSet },
            now: at(2000),
          },
        })
        .thenThrows('MODEL_VERSION_CONFLICT');
    });

    it('closing a job that is not in flight changes nothing', () => {
      spec
        .given(inFlight)
        .when({
          type: 'CloseUnlearningJob',
          data: {
            modelId,
            jobId: JobId('job-x'),
            outcome: 'failed',
            newVersion: null,
            now: at(2000),
          },
        })
        .thenNothing();
    });
  });

  it('a requeued (admin-retried) job takes the slot before new work', () => {
    const history: ModelEvent[] = [
      ...registered,
      queued(1, 0),
      opened('job-1', [1], 1000),
      {
        type: 'UnlearningJobClosed',
        data: { modelId, jobId: JobId('job-1'), outcome: 'failed', closedAt: at(2000) },
      },
      queued(2, 2500),
      {
        type: 'UnlearningJobRequeued',
        data: { modelId, jobId: JobId('job-1'), requeuedAt: at(3000) },
      },
    ];
    spec
      .given(history)
      .when(open(9000, 'job-2'))
      .then([
        {
          type: 'UnlearningJobResumed',
          data: { modelId, jobId: JobId('job-1'), baseVersion: 1, resumedAt: at(9000) },
        },
      ]);
  });
});
