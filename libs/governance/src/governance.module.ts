import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AddDatasetRecordsHandler } from './application/commands/add-dataset-records/add-dataset-records.handler';
import { AddDatasetRecordsHttpController } from './application/commands/add-dataset-records/add-dataset-records.http.controller';
import { EraseSubjectRecordsHandler } from './application/commands/erase-subject-records/erase-subject-records.handler';
import { RecordJobResultHandler } from './application/commands/record-job-result/record-job-result.handler';
import { RecordJobProgressHandler } from './application/commands/record-job-progress/record-job-progress.handler';
import { RecordTrainingProgressHandler } from './application/commands/record-training-progress/record-training-progress.handler';
import { RecordTrainingResultHandler } from './application/commands/record-training-result/record-training-result.handler';
import { RefuseJobResultHandler } from './application/commands/refuse-job-result/refuse-job-result.handler';
import { MODEL_VERSION_STORE } from './application/ports/model-version-store.port';
import { RefusedResults } from './application/ports/refused-results.port';
import {
  GetModelVersionHandler,
  GetModelWeightsHandler,
} from './application/queries/get-model-version/get-model-version.handler';
import { GetModelVersionHttpController } from './application/queries/get-model-version/get-model-version.http.controller';
import { JobResultsKafkaConsumer } from './infrastructure/kafka/job-results.kafka-consumer';
import { openModelVersionStore } from './infrastructure/model-store/model-version-store.provider';
import { PgRefusedResults } from './infrastructure/persistence/refused-results';
import { AuditModule } from '@lethe/audit';
import { SubjectId } from '@lethe/shared';
import { RegisterDatasetHandler } from './application/commands/register-dataset/register-dataset.handler';
import { RegisterDatasetHttpController } from './application/commands/register-dataset/register-dataset.http.controller';
import { RegisterModelHandler } from './application/commands/register-model/register-model.handler';
import { RegisterModelHttpController } from './application/commands/register-model/register-model.http.controller';
import { RequestDeletionHandler } from './application/commands/request-deletion/request-deletion.handler';
import { RequestDeletionHttpController } from './application/commands/request-deletion/request-deletion.http.controller';
import { DeletionRequestsKafkaConsumer } from './infrastructure/kafka/deletion-requests.kafka-consumer';
import { RetryJobHandler } from './application/commands/retry-job/retry-job.handler';
import { ChangeModelPolicyHandler } from './application/commands/change-model-policy/change-model-policy.handler';
import { ChangeModelPolicyHttpController } from './application/commands/change-model-policy/change-model-policy.http.controller';
import { RetryJobHttpController } from './application/commands/retry-job/retry-job.http.controller';
import { ScheduleUnlearningJobsHandler } from './application/commands/schedule-unlearning-jobs/schedule-unlearning-jobs.handler';
import { UnlearningSchedulerService } from './application/commands/schedule-unlearning-jobs/unlearning-scheduler.service';
import { CLOCK, systemClock } from './application/ports/clock.port';
import { SUBJECT_PSEUDONYMIZER } from './application/ports/subject-pseudonymizer.port';
import { GovernanceProjections } from './application/projections/governance-projections.service';
import { FindDeletionRequestHandler } from './application/queries/find-deletion-request/find-deletion-request.handler';
import { FindDeletionRequestHttpController } from './application/queries/find-deletion-request/find-deletion-request.http.controller';
import { GetDeletionRequestHandler } from './application/queries/get-deletion-request/get-deletion-request.handler';
import { GetDeletionRequestHttpController } from './application/queries/get-deletion-request/get-deletion-request.http.controller';
import { ListDeletionRequestsHandler } from './application/queries/list-deletion-requests/list-deletion-requests.handler';
import { GetJobHandler } from './application/queries/get-job/get-job.handler';
import { GetJobHttpController } from './application/queries/get-job/get-job.http.controller';
import { GetModelHandler } from './application/queries/get-model/get-model.handler';
import { GetModelHttpController } from './application/queries/get-model/get-model.http.controller';
import { GetComplianceSummaryHandler } from './application/queries/get-compliance-summary/get-compliance-summary.handler';
import { GetComplianceSummaryHttpController } from './application/queries/get-compliance-summary/get-compliance-summary.http.controller';
import { GetComplianceReportHttpController } from './application/queries/get-compliance-summary/get-compliance-report.http.controller';
import { DashboardHttpController } from './infrastructure/dashboard/dashboard.http.controller';
import { ComplianceReportModule } from './infrastructure/reports/compliance-report.module';
import {
  GOVERNANCE_OPTIONS,
  resolveGovernanceOptions,
  type GovernanceModuleOptions,
  type ResolvedGovernanceOptions,
} from './governance.options';
import { HmacSubjectPseudonymizer } from './infrastructure/crypto/hmac-subject-pseudonymizer';
import { kafkaProvider } from './infrastructure/kafka/kafka.provider';
import { GovernanceOutboxRelay } from './infrastructure/messaging/outbox-relay.service';
import { GovernanceMetrics } from './infrastructure/metrics/governance-metrics';
import { DatasetRegistry } from './application/ports/dataset-registry.port';
import { LineageStore } from './application/ports/lineage-store.port';
import { RecordsStore } from './application/ports/records-store.port';
import { PgDatasetRegistry } from './infrastructure/persistence/dataset-registry';
import { PgLineageStore } from './infrastructure/persistence/lineage-store';
import { PgRecordsStore } from './infrastructure/persistence/records-store';

const commandHandlers = [
  RequestDeletionHandler,
  RegisterDatasetHandler,
  AddDatasetRecordsHandler,
  RegisterModelHandler,
  ScheduleUnlearningJobsHandler,
  RecordJobResultHandler,
  RetryJobHandler,
  ChangeModelPolicyHandler,
  EraseSubjectRecordsHandler,
  RecordJobProgressHandler,
  RecordTrainingProgressHandler,
  RecordTrainingResultHandler,
  RefuseJobResultHandler,
];
const queryHandlers = [
  GetDeletionRequestHandler,
  FindDeletionRequestHandler,
  ListDeletionRequestsHandler,
  GetModelHandler,
  GetJobHandler,
  GetModelVersionHandler,
  GetModelWeightsHandler,
  GetComplianceSummaryHandler,
];

/**
 * The governance core: deletion-request intake (HTTP + Kafka), lineage, scheduling of unlearning
 * and training jobs, the worker's results (verified against the audit key ring, appended to the
 * audit log), read models, the released model versions. Needs a TypeORM DataSource in the
 * container (TypeOrmModule.forRoot) with the migrations applied, and CqrsModule.forRoot() in the
 * app. With `audit`, it imports the audit context (AuditModule) whose signer verifies results.
 */
const subjectRefOf = (key: string) => {
  const pseudonymizer = new HmacSubjectPseudonymizer(key);
  return (subjectId: string): string => pseudonymizer.refOf(SubjectId(subjectId));
};

@Module({})
export class GovernanceModule {
  static forRoot(options: GovernanceModuleOptions): DynamicModule {
    return {
      module: GovernanceModule,
      imports: [
        CqrsModule,
        // AUDIT_PDF_REPORT (@lethe/shared/application), global: any context's route may answer with the PDF.
        ComplianceReportModule,
        ...(options.audit
          ? [
              AuditModule.forRoot({
                // GET /v1/certificates?subjectId= pseudonymises with the governance HMAC.
                subjectRefOf: subjectRefOf(options.subjectHmacKey),
                ...options.audit,
              }),
            ]
          : []),
      ],
      controllers: [
        RequestDeletionHttpController,
        GetDeletionRequestHttpController,
        FindDeletionRequestHttpController,
        RegisterDatasetHttpController,
        AddDatasetRecordsHttpController,
        RegisterModelHttpController,
        GetModelHttpController,
        RetryJobHttpController,
        ChangeModelPolicyHttpController,
        GetJobHttpController,
        GetModelVersionHttpController,
        GetComplianceSummaryHttpController,
        GetComplianceReportHttpController,
        DashboardHttpController,
      ],
      providers: [
        { provide: GOVERNANCE_OPTIONS, useValue: resolveGovernanceOptions(options) },
        { provide: CLOCK, useValue: systemClock },
        {
          provide: SUBJECT_PSEUDONYMIZER,
          inject: [GOVERNANCE_OPTIONS],
          useFactory: (o: ResolvedGovernanceOptions) =>
            new HmacSubjectPseudonymizer(o.subjectHmacKey),
        },
        kafkaProvider,
        { provide: DatasetRegistry, useClass: PgDatasetRegistry },
        { provide: RecordsStore, useClass: PgRecordsStore },
        { provide: LineageStore, useClass: PgLineageStore },
        { provide: RefusedResults, useClass: PgRefusedResults },
        {
          provide: MODEL_VERSION_STORE,
          inject: [GOVERNANCE_OPTIONS],
          useFactory: (o: ResolvedGovernanceOptions) => openModelVersionStore(o.modelStoreDir),
        },
        ...commandHandlers,
        ...queryHandlers,
        GovernanceProjections,
        GovernanceOutboxRelay,
        UnlearningSchedulerService,
        DeletionRequestsKafkaConsumer,
        JobResultsKafkaConsumer,
        GovernanceMetrics,
      ],
      exports: [
        GovernanceProjections,
        DeletionRequestsKafkaConsumer,
        JobResultsKafkaConsumer,
        GovernanceOutboxRelay,
        SUBJECT_PSEUDONYMIZER,
      ],
    };
  }
}
