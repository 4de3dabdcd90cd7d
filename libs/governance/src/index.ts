// Public API of @lethe/governance.
export { GovernanceModule } from './governance.module';
export {
  DeletionRequestsKafkaConsumer,
  type IntakeHealth,
} from './infrastructure/kafka/deletion-requests.kafka-consumer';
export type { GovernanceModuleOptions } from './governance.options';
export {
  GovernanceErrorCode,
  GovernanceError,
  isGovernanceError,
} from './domain/governance.errors';
export { RequestDeletionCommand } from './application/commands/request-deletion/request-deletion.command';
export { RecordJobResultCommand } from './application/commands/record-job-result/record-job-result.command';
export { EraseSubjectRecordsCommand } from './application/commands/erase-subject-records/erase-subject-records.command';
export { ScheduleUnlearningJobsCommand } from './application/commands/schedule-unlearning-jobs/schedule-unlearning-jobs.command';
export type { JobResult } from './domain/job/job.commands';
export {
  GovernanceProjections,
  READ_MODELS,
} from './application/projections/governance-projections.service';
export {
  JobResultsKafkaConsumer,
  type ResultsConsumerHealth,
} from './infrastructure/kafka/job-results.kafka-consumer';
export { RecordTrainingResultCommand } from './application/commands/record-training-result/record-training-result.command';
export { RecordJobProgressCommand } from './application/commands/record-job-progress/record-job-progress.command';
export {
  JobResultProcessor,
  type ResultOutcome,
} from './application/commands/accept-job-result/job-result.processor';
export { GetComplianceSummaryQuery } from './application/queries/get-compliance-summary/get-compliance-summary.query';
export type { ComplianceRange } from './application/queries/get-compliance-summary/get-compliance-summary.query';
export type { ComplianceSummary } from './application/queries/get-compliance-summary/compliance-summary';
export { renderCompliancePdf } from './infrastructure/reports/compliance-pdf';
export { compliancePdfReport } from './infrastructure/reports/compliance-report.module';
