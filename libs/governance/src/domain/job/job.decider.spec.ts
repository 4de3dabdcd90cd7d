import { CertificateId } from '@lethe/shared';
import { deciderSpec } from '../../testing/decider-specification';
import { backoffCeilingMs } from '@lethe/shared';
import {
  aDispatchedJob,
  aJobId as jobId,
  jobAt as at,
  jobDispatched as dispatched,
  jobScheduled,
  jobSucceeded,
  jobT0 as t0,
} from '../../testing/job.factory';
import type { JobCommand, JobResult } from './job.commands';
import { jobDecider } from './job.decider';
import type { JobEvent } from './job.events';

const spec = deciderSpec(jobDecider);
const backoff = { baseDelayMs: 1000, maxDelayMs: 60_000 };
const scheduled = jobScheduled();
const result = (attempt: number, r: JobResult, ms = 0): JobCommand => ({
  type: 'RecordJobResult',
  data: { jobId, attempt, result: r, backoff, now: at(ms) },
});
const fail = { kind: 'failed', reason: 'OOM', retryable: true } as const;
/** Attempt 1's success: version 2 with certificate `c-1`, and what `over` adds. */
const success = (over: Partial<Extract<JobResult, { kind: 'succeeded' }>> = {}): JobResult => ({
  kind: 'succeeded',
  versionAfter: 2,
  certificateId: CertificateId('c-1'),
  ...over,
});

describe('unlearning job decider', () => {
  it('is dispatched as attempt 1', () => {
    spec
      .given([scheduled])
      .when({ type: 'DispatchJob', data: { jobId, baseVersion: 1, now: at(0) } })
      .then([dispatched(1)]);
  });

  it('a dispatched job is not dispatched again', () => {
    spec
      .given(aDispatchedJob())
      .when({ type: 'DispatchJob', data: { jobId, baseVersion: 1, now: at(0) } })
      .thenNothing();
  });

  it('a retryable failure waits with exponential backoff, then redispatches', () => {
    const failed1: JobEvent = {
      type: 'UnlearningJobAttemptFailed',
      data: {
        jobId,
        attempt: 1,
        reason: 'OOM',
        nextAttemptAt: at(1000 + 1000),
        failedAt: at(1000),
      },
    };
    spec
      .given(aDispatchedJob())
      .when(result(1, fail, 1000))
      .then([failed1]);
    spec
      .given(aDispatchedJob(failed1))
      .when({ type: 'DispatchJob', data: { jobId, baseVersion: 1, now: at(1999) } })
      .thenNothing();
    spec
      .given(aDispatchedJob(failed1))
      .when({ type: 'DispatchJob', data: { jobId, baseVersion: 1, now: at(2000) } })
      .then([dispatched(2, 2000)]);
    const failed2 = spec
      .given(aDispatchedJob(failed1, dispatched(2, 2000)))
      .when(result(2, fail, 3000))
      .events();
    expect(failed2).toEqual([
      {
        type: 'UnlearningJobAttemptFailed',
        data: {
          jobId,
          attempt: 2,
          reason: 'OOM',
          nextAttemptAt: at(3000 + 2000),
          failedAt: at(3000),
        },
      },
    ]);
  });

  it('ends failed with its reason when the attempts are used up', () => {
    const history: JobEvent[] = [scheduled];
    for (let a = 1; a <= 2; a++) {
      history.push(dispatched(a));
      history.push(...spec.given(history).when(result(a, fail)).events());
    }
    history.push(dispatched(3));
    spec
      .given(history)
      .when(result(3, fail, 5000))
      .then([
        {
          type: 'UnlearningJobFailed',
          data: {
            jobId,
            attempt: 3,
            reason: 'OOM (gave up after 3 attempt(s))',
            failedAt: at(5000),
          },
        },
      ]);
  });

  it('a non-retryable failure ends failed at once', () => {
    spec
      .given(aDispatchedJob())
      .when(result(1, { kind: 'failed', reason: 'bad weights', retryable: false }))
      .then([
        {
          type: 'UnlearningJobFailed',
          data: { jobId, attempt: 1, reason: 'bad weights', failedAt: t0 },
        },
      ]);
  });

  it('an admin retry of a failed job starts a new round; a non-failed job cannot be retried', () => {
    const failed: JobEvent = {
      type: 'UnlearningJobFailed',
      data: { jobId, attempt: 1, reason: 'x', failedAt: t0 },
    };
    spec
      .given(aDispatchedJob(failed))
      .when({ type: 'RetryJob', data: { jobId, requestedBy: 'api-key:admin', now: at(10) } })
      .then([
        {
          type: 'UnlearningJobRetryRequested',
          data: { jobId, requestedBy: 'api-key:admin', requestedAt: at(10) },
        },
      ]);
    spec
      .given(aDispatchedJob())
      .when({ type: 'RetryJob', data: { jobId, requestedBy: 'a', now: at(10) } })
      .thenThrows('JOB_NOT_RETRYABLE');
    spec
      .given([])
      .when({ type: 'RetryJob', data: { jobId, requestedBy: 'a', now: at(10) } })
      .thenThrows('JOB_NOT_FOUND');
  });

  it('started then succeeded; a duplicate success changes nothing', () => {
    const started = spec
      .given(aDispatchedJob())
      .when(result(1, { kind: 'started', workerId: 'w-1' }))
      .events();
    expect(started).toHaveLength(1);
    const ok = success();
    const succeeded = spec
      .given(aDispatchedJob(...started))
      .when(result(1, ok))
      .events();
    expect(succeeded.map((e) => e.type)).toEqual(['UnlearningJobSucceeded']);
    spec
      .given(aDispatchedJob(...started, ...succeeded))
      .when(result(1, ok))
      .thenNothing();
  });

  it('refuses a result for another attempt', () => {
    spec.given(aDispatchedJob()).when(result(2, fail)).thenThrows('JOB_ATTEMPT_MISMATCH');
  });

  it('needs-retrain is terminal', () => {
    spec
      .given(aDispatchedJob())
      .when(result(1, { kind: 'needs-retrain', reason: 'accuracy floor' }))
      .then([
        {
          type: 'UnlearningJobNeedsRetrain',
          data: { jobId, attempt: 1, reason: 'accuracy floor', decidedAt: t0 },
        },
      ]);
  });

  it('backoff doubles and is capped', () => {
    expect(
      [1, 2, 3, 4, 10].map((n) => backoffCeilingMs(n, { baseDelayMs: 100, maxDelayMs: 500 })),
    ).toEqual([100, 200, 400, 500, 500]);
  });
});

describe('unlearning job decider: progress and refused results', () => {
  const progress = (
    seq: number,
    ms: number,
    over: Partial<{ stage: string; done: number; total: number | null; attempt: number }> = {},
  ): JobCommand => ({
    type: 'RecordJobProgress',
    data: {
      jobId,
      attempt: over.attempt ?? 1,
      progress: {
        seq,
        stage: over.stage ?? 'inverse-hvp',
        done: over.done ?? seq * 10,
        total: over.total === undefined ? 100 : over.total,
      },
      minIntervalMs: 1000,
      now: at(ms),
    },
  });
  const progressed = (
    seq: number,
    ms: number,
    stage = 'inverse-hvp',
    done = seq * 10,
  ): JobEvent => ({
    type: 'UnlearningJobProgressed',
    data: { jobId, attempt: 1, seq, stage, done, total: 100, reportedAt: at(ms) },
  });

  it('records progress of the current attempt; a repeat or an older seq changes nothing', () => {
    spec
      .given(aDispatchedJob())
      .when(progress(1, 0))
      .then([progressed(1, 0)]);
    spec
      .given(aDispatchedJob(progressed(2, 0)))
      .when(progress(2, 5000))
      .thenNothing();
    spec
      .given(aDispatchedJob(progressed(2, 0)))
      .when(progress(1, 5000))
      .thenNothing();
  });

  it('throttles reports of one stage, but keeps a new stage and a stage’s last report', () => {
    const given = aDispatchedJob(progressed(1, 0));
    spec.given(given).when(progress(2, 500)).thenNothing();
    spec
      .given(given)
      .when(progress(2, 1000))
      .then([progressed(2, 1000)]);
    spec
      .given(given)
      .when(progress(2, 500, { stage: 'evaluating', done: 0 }))
      .then([progressed(2, 500, 'evaluating', 0)]);
    spec
      .given(given)
      .when(progress(2, 500, { done: 100 }))
      .then([progressed(2, 500, 'inverse-hvp', 100)]);
  });

  it('ignores progress of another attempt and of a settled job', () => {
    spec
      .given(aDispatchedJob())
      .when(progress(1, 0, { attempt: 2 }))
      .thenNothing();
    const succeeded = jobSucceeded();
    spec.given(aDispatchedJob(succeeded)).when(progress(1, 0)).thenNothing();
  });

  it('records a refused result once per message, without changing the status', () => {
    const refuse: JobCommand = {
      type: 'RefuseJobResult',
      data: {
        jobId,
        attempt: 1,
        messageId: 'job-1/1/succeeded',
        code: 'CERTIFICATE_MISMATCH',
        reason: 'x',
        now: t0,
      },
    };
    const refused = spec.given(aDispatchedJob()).when(refuse).events();
    expect(refused).toEqual([
      {
        type: 'UnlearningJobResultRefused',
        data: {
          jobId,
          attempt: 1,
          messageId: 'job-1/1/succeeded',
          code: 'CERTIFICATE_MISMATCH',
          reason: 'x',
          refusedAt: t0,
        },
      },
    ]);
    spec
      .given(aDispatchedJob(...refused))
      .when(refuse)
      .thenNothing();
    const state = aDispatchedJob(...refused).reduce(jobDecider.evolve, jobDecider.initialState());
    expect(state).toMatchObject({
      status: 'dispatched',
      lastRefusal: { code: 'CERTIFICATE_MISMATCH' },
    });
  });

  it('a success carries the weights digest and method when given', () => {
    spec
      .given(aDispatchedJob())
      .when(result(1, success({ digestAfter: 'f'.repeat(64), method: 'newton-lissa' })))
      .then([jobSucceeded({ digestAfter: 'f'.repeat(64), method: 'newton-lissa' })]);
  });
  describe('the policy’s choice (from the verified certificate’s evidence.policy)', () => {
    const fallback = {
      chosen: 'retrain',
      tried: [
        { method: 'convex-newton', outcome: 'refused', reasons: ['private-check-failed'] },
        { method: 'retrain', outcome: 'chosen', reasons: [] },
      ],
    } as const;
    const succeeded = (policy?: typeof fallback): JobEvent =>
      jobSucceeded({ method: 'retrain', ...(policy ? { policy } : {}) });

    it('a success after a fallback carries the method and the policy’s choice', () => {
      spec
        .given(aDispatchedJob())
        .when(result(1, success({ method: 'retrain', policy: fallback })))
        .then([succeeded(fallback)]);
    });

    it('a redelivered success changes nothing, the choice included', () => {
      spec
        .given(aDispatchedJob(succeeded(fallback)))
        .when(result(1, success({ method: 'retrain', policy: fallback })))
        .thenNothing();
    });

    it('the job shows the method and the choice; a success stored before them replays with none', () => {
      const fold = (events: readonly JobEvent[]) =>
        events.reduce(jobDecider.evolve, jobDecider.initialState());
      expect(fold(aDispatchedJob(succeeded(fallback)))).toMatchObject({
        status: 'succeeded',
        method: 'retrain',
        policy: fallback,
      });
      const old = jobSucceeded();
      expect(fold(aDispatchedJob(old))).toMatchObject({
        status: 'succeeded',
        method: null,
        policy: null,
      });
    });
  });
});
