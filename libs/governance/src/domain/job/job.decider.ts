import { assertNever, type Decider } from '../shared/decider';
import { GovernanceError } from '../governance.errors';
import { backoffCeilingMs } from '@lethe/shared';
import type { JobCommand } from './job.commands';
import type { JobEvent } from './job.events';
import { evolveJob, initialJobState, type ExistingJob, type JobState } from './job.state';

const existing = (state: JobState, jobId: string): ExistingJob => {
  if (state.status === 'absent') {
    throw new GovernanceError('JOB_NOT_FOUND', `unlearning job ${jobId} does not exist`, { jobId });
  }
  return state;
};

const isOpen = (s: ExistingJob): boolean => s.status === 'dispatched' || s.status === 'running';

const recordResult = (
  s: ExistingJob,
  data: Extract<JobCommand, { type: 'RecordJobResult' }>['data'],
): readonly JobEvent[] => {
  const { jobId, attempt, result, backoff, now } = data;
  if (attempt !== s.attempt) {
    throw new GovernanceError(
      'JOB_ATTEMPT_MISMATCH',
      `result for attempt ${attempt} of job ${jobId}, current attempt is ${s.attempt}`,
      { jobId, attempt, currentAttempt: s.attempt },
    );
  }
  switch (result.kind) {
    case 'started':
      if (s.status !== 'dispatched') return [];
      return [
        {
          type: 'UnlearningJobStarted',
          data: { jobId, attempt, workerId: result.workerId, startedAt: now },
        },
      ];
    case 'succeeded':
      if (s.status === 'succeeded') return [];
      if (!isOpen(s)) break;
      return [
        {
          type: 'UnlearningJobSucceeded',
          data: {
            jobId,
            attempt,
            versionAfter: result.versionAfter,
            certificateId: result.certificateId,
            completedAt: now,
            ...(result.digestAfter === undefined ? {} : { digestAfter: result.digestAfter }),
            ...(result.method === undefined ? {} : { method: result.method }),
            ...(result.policy === undefined ? {} : { policy: result.policy }),
          },
        },
      ];
    case 'failed': {
      if (s.status === 'retry-wait' || s.status === 'failed') return [];
      if (!isOpen(s)) break;
      if (result.retryable && s.attemptsInRound < s.maxAttempts) {
        const nextAttemptAt = new Date(
          Date.parse(now) + backoffCeilingMs(s.attemptsInRound, backoff),
        ).toISOString();
        return [
          {
            type: 'UnlearningJobAttemptFailed',
            data: { jobId, attempt, reason: result.reason, nextAttemptAt, failedAt: now },
          },
        ];
      }
      const reason = result.retryable
        ? `${result.reason} (gave up after ${s.attemptsInRound} attempt(s))`
        : result.reason;
      return [{ type: 'UnlearningJobFailed', data: { jobId, attempt, reason, failedAt: now } }];
    }
    case 'needs-retrain':
      if (s.status === 'needs-retrain') return [];
      if (!isOpen(s)) break;
      return [
        {
          type: 'UnlearningJobNeedsRetrain',
          data: { jobId, attempt, reason: result.reason, decidedAt: now },
        },
      ];
    default:
      return assertNever(result);
  }
  throw new GovernanceError(
    'ILLEGAL_TRANSITION',
    `result ${result.kind} not allowed while job is ${s.status}`,
    { jobId, status: s.status, result: result.kind },
  );
};

/**
 * Progress of the current attempt, while it is open: a report of another attempt, a repeat or an
 * older `seq`, and a report of the same stage within `minIntervalMs` of the last recorded one
 * (unless it completes the stage) change nothing. Progress never changes the job's status.
 */
const recordProgress = (
  s: ExistingJob,
  data: Extract<JobCommand, { type: 'RecordJobProgress' }>['data'],
): readonly JobEvent[] => {
  const { jobId, attempt, progress, minIntervalMs, now } = data;
  if (attempt !== s.attempt || !isOpen(s)) return [];
  const last = s.progress;
  if (last !== null && last.attempt === attempt) {
    if (progress.seq <= last.seq) return [];
    const completesStage = progress.total !== null && progress.done >= progress.total;
    const tooSoon = Date.parse(now) - Date.parse(last.at) < minIntervalMs;
    if (progress.stage === last.stage && tooSoon && !completesStage) return [];
  }
  return [
    {
      type: 'UnlearningJobProgressed',
      data: {
        jobId,
        attempt,
        seq: progress.seq,
        stage: progress.stage,
        done: progress.done,
        total: progress.total,
        reportedAt: now,
      },
    },
  ];
};

export const decideJob = (command: JobCommand, state: JobState): readonly JobEvent[] => {
  switch (command.type) {
    case 'ScheduleJob': {
      if (state.status !== 'absent') return [];
      const { now, ...rest } = command.data;
      return [{ type: 'UnlearningJobScheduled', data: { ...rest, scheduledAt: now } }];
    }
    case 'DispatchJob': {
      const s = existing(state, command.data.jobId);
      const { jobId, baseVersion, now } = command.data;
      const due =
        s.status === 'awaiting-dispatch' ||
        (s.status === 'retry-wait' &&
          s.nextAttemptAt !== null &&
          Date.parse(s.nextAttemptAt) <= Date.parse(now));
      if (!due) return [];
      return [
        {
          type: 'UnlearningJobDispatched',
          data: {
            jobId,
            modelId: s.modelId,
            attempt: s.attempt + 1,
            baseVersion,
            dispatchedAt: now,
          },
        },
      ];
    }
    case 'RecordJobResult':
      return recordResult(existing(state, command.data.jobId), command.data);
    case 'RecordJobProgress':
      return recordProgress(existing(state, command.data.jobId), command.data);
    case 'RefuseJobResult': {
      const s = existing(state, command.data.jobId);
      const { jobId, attempt, messageId, code, reason, now } = command.data;
      // A redelivered refused message is recorded once.
      if (s.lastRefusal?.messageId === messageId && s.lastRefusal.code === code) return [];
      return [
        {
          type: 'UnlearningJobResultRefused',
          data: { jobId, attempt, messageId, code, reason, refusedAt: now },
        },
      ];
    }
    case 'RetryJob': {
      const s = existing(state, command.data.jobId);
      if (s.status === 'awaiting-dispatch') return [];
      if (s.status !== 'failed') {
        throw new GovernanceError(
          'JOB_NOT_RETRYABLE',
          `only a failed job can be retried; job ${s.jobId} is ${s.status}`,
          { jobId: s.jobId, status: s.status },
        );
      }
      const { jobId, requestedBy, now } = command.data;
      return [
        { type: 'UnlearningJobRetryRequested', data: { jobId, requestedBy, requestedAt: now } },
      ];
    }
    default:
      return assertNever(command);
  }
};

export const jobDecider: Decider<JobCommand, JobEvent, JobState> = {
  decide: decideJob,
  evolve: evolveJob,
  initialState: initialJobState,
};
