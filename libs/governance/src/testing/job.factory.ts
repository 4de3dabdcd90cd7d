import { CertificateId, DeletionRequestId, JobId, ModelId, SubjectRef } from '@lethe/shared';
import type { JobEvent, UnlearningJobSucceeded } from '../domain/job/job.events';

/**
 * Test factories for an unlearning job's given events: job `job-1` of model `mnist-mlp` for
 * request `dr-1`, scheduled at `jobT0` with 3 attempts. Not for production code.
 */
export const aJobId = JobId('job-1');
export const aJobModelId = ModelId('mnist-mlp');
export const jobT0 = '2026-11-26T12:00:00.000Z';
/** `ms` milliseconds after `jobT0`, as an ISO instant. */
export const jobAt = (ms: number): string => new Date(Date.parse(jobT0) + ms).toISOString();

/** The job scheduled (not yet dispatched). */
export const jobScheduled = (): JobEvent => ({
  type: 'UnlearningJobScheduled',
  data: {
    jobId: aJobId,
    modelId: aJobModelId,
    requestIds: [DeletionRequestId('dr-1')],
    subjectRefs: [SubjectRef('ref-1')],
    baseVersion: 1,
    maxAttempts: 3,
    scheduledAt: jobT0,
  },
});

/** Attempt `attempt` dispatched `ms` after `jobT0`. */
export const jobDispatched = (attempt: number, ms = 0): JobEvent => ({
  type: 'UnlearningJobDispatched',
  data: { jobId: aJobId, modelId: aJobModelId, attempt, baseVersion: 1, dispatchedAt: jobAt(ms) },
});

/** Given: the job scheduled and dispatched as attempt 1, then `more`. */
export const aDispatchedJob = (...more: JobEvent[]): JobEvent[] => [
  jobScheduled(),
  jobDispatched(1),
  ...more,
];

/** Attempt 1 succeeded at `jobT0` with version 2 and certificate `c-1` (`over` adds or replaces). */
export const jobSucceeded = (over: Partial<UnlearningJobSucceeded['data']> = {}): JobEvent => ({
  type: 'UnlearningJobSucceeded',
  data: {
    jobId: aJobId,
    attempt: 1,
    versionAfter: 2,
    certificateId: CertificateId('c-1'),
    completedAt: jobT0,
    ...over,
  },
});
