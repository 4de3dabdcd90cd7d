/** Kafka topics of contract v1 (docs/contracts.md §2). Keys and values are typed in TopicKeyOf. */
export const Topics = {
  deletionRequests: 'lethe.deletion-requests.v1',
  deletionRequestsDlq: 'lethe.deletion-requests.v1.dlq',
  unlearningJobs: 'lethe.unlearning-jobs.v1',
  unlearningResults: 'lethe.unlearning-results.v1',
  governanceEvents: 'lethe.governance-events.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** What each topic is keyed by. */
export interface TopicKeyOf {
  'lethe.deletion-requests.v1': 'subjectId';
  'lethe.deletion-requests.v1.dlq': 'as-received';
  'lethe.unlearning-jobs.v1': 'modelId';
  'lethe.unlearning-results.v1': 'modelId';
  'lethe.governance-events.v1': 'aggregateId';
}

/** DLQ headers (docs/contracts.md §2). */
export const DlqHeaders = {
  errorCode: 'lethe-error-code',
  errorMessage: 'lethe-error-message',
  originalTopic: 'lethe-original-topic',
  originalPartition: 'lethe-original-partition',
  originalOffset: 'lethe-original-offset',
} as const;

/** Topics each app creates at boot (auto-create is off on the broker). */
export const GovernanceTopics: readonly TopicName[] = [
  Topics.deletionRequests,
  Topics.deletionRequestsDlq,
  Topics.unlearningJobs,
  Topics.unlearningResults,
  Topics.governanceEvents,
];
