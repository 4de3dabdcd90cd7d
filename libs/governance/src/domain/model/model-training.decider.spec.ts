import { CertificateId, DeletionRequestId, JobId, SubjectRef } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import {
  aModelId as modelId,
  aTrainingJobId as jobId,
  aTrainingSet as trainingSet,
  modelT0 as t0,
  registeredForTraining,
  registerModelForTraining,
} from '../../testing/model.factory';
import { modelDecider } from './model.decider';
import type { ModelEvent } from './model.events';

const spec = deciderSpec(modelDecider);
const digest = 'a'.repeat(64);

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
    spec.given([]).when(registerModelForTraining()).then(registeredForTraining());
  });

  it('a trained result registers version 1 with its weights digest and metrics, once', () => {
    spec.given(registeredForTraining()).when(trained()).then([version1]);
    spec
      .given([...registeredForTraining(), version1])
      .when(trained())
      .thenNothing();
  });

  it('refuses a trained result of another job or another version', () => {
    spec
      .given(registeredForTraining())
      .when({ ...trained(), data: { ...trained().data, jobId: JobId('other') } })
      .thenThrows('JOB_NOT_FOUND');
    spec
      .given(registeredForTraining())
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
    spec.given(registeredForTraining()).when(failed).then([failedEvent]);
    spec
      .given([...registeredForTraining(), failedEvent])
      .when(failed)
      .thenNothing();
    spec
      .given([...registeredForTraining(), failedEvent])
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
      .given([...registeredForTraining(), queued])
      .when(open)
      .thenNothing();
    const events = spec
      .given([...registeredForTraining(), version1, queued])
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
      .given([...registeredForTraining(), version1, opened])
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

describe('model decider: training retries and progress', () => {
  const retry = { maxAttempts: 3, backoff: { baseDelayMs: 1000, maxDelayMs: 60_000 } };
  const failedCmd = (attempt: number, retryable: boolean) => ({
    type: 'RecordTrainingResult' as const,
    data: {
      modelId,
      jobId,
      attempt,
      outcome: { kind: 'failed' as const, reason: 'WORKER_INTERNAL_ERROR: boom', retryable },
      now: t0,
      retry,
    },
  });
  const failedEvent = (attempt: number, nextAttemptAt?: string): ModelEvent => ({
    type: 'ModelTrainingFailed',
    data: {
      modelId,
      jobId,
      attempt,
      reason: 'WORKER_INTERNAL_ERROR: boom',
      failedAt: t0,
      ...(nextAttemptAt ? { nextAttemptAt } : {}),
    },
  });
  const retried = (attempt: number, requestedBy = 'scheduler', at = t1s): ModelEvent => ({
    type: 'ModelTrainingRetried',
    data: { modelId, jobId, attempt, requestedBy, retriedAt: at },
  });
  const t1s = '2026-11-29T12:00:01.000Z';
  const t2s = '2026-11-29T12:00:02.000Z';
  const retryCmd = (requestedBy: string, now: string) => ({
    type: 'RetryTraining' as const,
    data: { modelId, jobId, requestedBy, now },
  });
  const stateOf = (events: readonly ModelEvent[]) =>
    events.reduce(modelDecider.evolve, modelDecider.initialState());

  it('a retryable failure waits out its backoff (base · 2^(attempt−1)); a non-retryable one is final', () => {
    spec
      .given(registeredForTraining())
      .when(failedCmd(1, true))
      .then([failedEvent(1, t1s)]);
    expect(stateOf([...registeredForTraining(), failedEvent(1, t1s)])).toMatchObject({
      training: { status: 'retry-wait', nextAttemptAt: t1s, attempt: 1 },
    });
    spec
      .given(registeredForTraining())
      .when(failedCmd(1, false))
      .then([failedEvent(1)]);
    expect(stateOf([...registeredForTraining(), failedEvent(1)])).toMatchObject({
      training: { status: 'failed', nextAttemptAt: null },
    });
  });

  it('the scheduler sends attempt 2 once the backoff is over, not before', () => {
    const waiting = [...registeredForTraining(), failedEvent(1, t1s)];
    spec.given(waiting).when(retryCmd('scheduler', t0)).thenNothing();
    spec
      .given(waiting)
      .when(retryCmd('scheduler', t1s))
      .then([retried(2)]);
    expect(stateOf([...waiting, retried(2)])).toMatchObject({
      training: { status: 'scheduled', attempt: 2, nextAttemptAt: null },
    });
  });

  it('the second failure waits twice as long; the last attempt is final', () => {
    const second = [...registeredForTraining(), failedEvent(1, t1s), retried(2)];
    spec
      .given(second)
      .when(failedCmd(2, true))
      .then([failedEvent(2, t2s)]);
    const third = [...second, failedEvent(2, t2s), retried(3, 'scheduler', t2s)];
    spec
      .given(third)
      .when(failedCmd(3, true))
      .then([failedEvent(3)]);
  });

  it('a stale failure of an earlier attempt, or a repeat, changes nothing', () => {
    const second = [...registeredForTraining(), failedEvent(1, t1s), retried(2)];
    spec.given(second).when(failedCmd(1, true)).thenNothing();
    spec
      .given([...registeredForTraining(), failedEvent(1, t1s)])
      .when(failedCmd(1, true))
      .thenNothing();
  });

  it('ml-admin retries a failed training at once; a training in progress or done is not retried', () => {
    const failedOnce = [...registeredForTraining(), failedEvent(1)];
    spec
      .given(failedOnce)
      .when(retryCmd('ml', t0))
      .then([retried(2, 'ml', t0)]);
    spec.given(registeredForTraining()).when(retryCmd('ml', t0)).thenThrows('JOB_NOT_RETRYABLE');
    spec
      .given([...registeredForTraining(), version1])
      .when(retryCmd('ml', t0))
      .thenThrows('JOB_NOT_RETRYABLE');
    spec
      .given(registeredForTraining())
      .when({ ...retryCmd('ml', t0), data: { ...retryCmd('ml', t0).data, jobId: JobId('x') } })
      .thenThrows('JOB_NOT_FOUND');
    // Retried after a final failure, a trained result of attempt 2 registers version 1.
    spec
      .given([...failedOnce, retried(2, 'ml', t0)])
      .when({ ...trained(), data: { ...trained().data, attempt: 2 } })
      .then([version1]);
  });

  it('records training progress of the current attempt, once per seq, throttled per stage', () => {
    const progress = (seq: number, stage: string, done: number, now = t0, attempt = 1) => ({
      type: 'RecordTrainingProgress' as const,
      data: {
        modelId,
        jobId,
        attempt,
        progress: { seq, stage, done, total: 8 },
        minIntervalMs: 1000,
        now,
      },
    });
    const progressed = (seq: number, stage: string, done: number, at = t0): ModelEvent => ({
      type: 'ModelTrainingProgressed',
      data: { modelId, jobId, attempt: 1, seq, stage, done, total: 8, reportedAt: at },
    });
    spec
      .given(registeredForTraining())
      .when(progress(1, 'training', 1))
      .then([progressed(1, 'training', 1)]);
    const one = [...registeredForTraining(), progressed(1, 'training', 1)];
    expect(stateOf(one)).toMatchObject({
      training: { progress: { seq: 1, stage: 'training', done: 1, total: 8 } },
    });
    spec
      .given(one)
      .when(progress(1, 'training', 1))
      .thenNothing(); // repeat
    spec
      .given(one)
      .when(progress(2, 'training', 2))
      .thenNothing(); // same stage, too soon
    spec
      .given(one)
      .when(progress(2, 'training', 2, t1s))
      .then([progressed(2, 'training', 2, t1s)]);
    spec
      .given(one)
      .when(progress(2, 'training', 8))
      .then([progressed(2, 'training', 8)]); // completes the stage
    spec
      .given(one)
      .when(progress(5, 'training', 3, t1s, 2))
      .thenNothing(); // not the attempt
    spec
      .given([...registeredForTraining(), version1])
      .when(progress(9, 'evaluating', 1))
      .thenNothing(); // trained already
  });
});
