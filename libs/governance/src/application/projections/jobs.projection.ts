import type { JobEvent } from '../../domain/job/job.events';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job.state';
import { policyChoiceReason } from '../../domain/shared/policy-choice';
import { StateView, type HistoryDetail } from './state-view.projection';

export const JOB_EVENT_TYPES: readonly JobEvent['type'][] = [
  'UnlearningJobScheduled',
  'UnlearningJobDispatched',
  'UnlearningJobStarted',
  'UnlearningJobSucceeded',
  'UnlearningJobAttemptFailed',
  'UnlearningJobFailed',
  'UnlearningJobNeedsRetrain',
  'UnlearningJobRetryRequested',
  'UnlearningJobProgressed',
  'UnlearningJobResultRefused',
];

/** A history entry's public detail: the method and the policy's reason, or the failure's reason. */
export const jobHistoryDetail = (e: JobEvent): HistoryDetail | null => {
  switch (e.type) {
    case 'UnlearningJobSucceeded':
      return {
        ...(e.data.method === undefined ? {} : { method: e.data.method }),
        ...(e.data.policy === undefined ? {} : { reason: policyChoiceReason(e.data.policy) }),
      };
    case 'UnlearningJobAttemptFailed':
    case 'UnlearningJobFailed':
    case 'UnlearningJobNeedsRetrain':
      return { reason: e.data.reason };
    default:
      return null;
  }
};

/** Read model `gov_jobs_view`: status, attempts, next attempt, reason, history. */
export const jobsView = () =>
  new StateView<JobState, JobEvent>({
    name: 'governance.jobs',
    table: 'gov_jobs_view',
    idColumn: 'job_id',
    eventTypes: JOB_EVENT_TYPES,
    initialState: initialJobState,
    evolve: evolveJob,
    keepHistory: true,
    historyDetail: jobHistoryDetail,
    tables: ['gov_jobs_view'],
    columns: (s, _previous, last) => {
      if (s.status === 'absent') return null;
      return {
        model_id: s.modelId,
        status: s.status,
        attempt: s.attempt,
        attempts_in_round: s.attemptsInRound,
        max_attempts: s.maxAttempts,
        base_version: s.baseVersion,
        request_ids: s.requestIds,
        next_attempt_at: s.nextAttemptAt,
        reason: s.reason,
        version_after: s.versionAfter,
        certificate_id: s.certificateId,
        progress: s.progress ?? null,
        last_refusal: s.lastRefusal ?? null,
        scheduled_at: s.scheduledAt,
        updated_at: last.metadata.occurredAt,
      };
    },
  });

export const jobsProjection = () => jobsView().projection;
