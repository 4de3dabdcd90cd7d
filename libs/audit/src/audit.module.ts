import { type DynamicModule, type InjectionToken, Module, type Provider } from '@nestjs/common';
import type { ModuleMetadata } from '@nestjs/common/interfaces';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AppendCertificateHandler } from './application/commands/append-certificate/append-certificate.handler';
import { AppendOutcomeHandler } from './application/commands/append-outcome/append-outcome.handler';
import { AUDIT_LOG_STORE } from './application/ports/audit-log-store.port';
import {
  CERTIFICATE_INDEX,
  SUBJECT_REF_OF,
  type SubjectRefOf,
} from './application/ports/certificate-index.port';
import { ListCertificatesHandler } from './application/queries/list-certificates/list-certificates.handler';
import { ListCertificatesHttpController } from './application/queries/list-certificates/list-certificates.http.controller';
import { PostgresCertificateIndex } from './infrastructure/postgres/postgres-certificate-index';
import { AUDIT_LOG_OPTIONS, type AuditLogOptions } from './application/ports/audit-options.port';
import { AUDIT_SIGNER } from './application/ports/signing.port';
import { MERKLE_NODE_INDEX, MerkleNodeIndex } from './application/merkle-node-index';
import {
  AUDIT_PDF_REPORT,
  type AuditPdfReport,
} from './application/queries/export-audit-log/audit-pdf-report.port';
import { ExportAuditLogHandler } from './application/queries/export-audit-log/export-audit-log.handler';
import { ExportAuditLogHttpController } from './application/queries/export-audit-log/export-audit-log.http.controller';
import { GetExportManifestHandler } from './application/queries/export-audit-log/export-manifest.handler';
import { GetCertificateHandler } from './application/queries/get-certificate/get-certificate.handler';
import { GetCertificateHttpController } from './application/queries/get-certificate/get-certificate.http.controller';
import { GetCheckpointHttpController } from './application/queries/get-checkpoint/get-checkpoint.http.controller';
import { GetConsistencyProofHttpController } from './application/queries/get-consistency-proof/get-consistency-proof.http.controller';
import { GetJwksHttpController } from './application/queries/get-jwks/get-jwks.http.controller';
import { GetCheckpointHandler } from './application/queries/get-checkpoint/get-checkpoint.handler';
import { GetConsistencyProofHandler } from './application/queries/get-consistency-proof/get-consistency-proof.handler';
import { JoseAuditSigner } from './infrastructure/jose/jose-audit-signer';
import type { KeyRing } from './infrastructure/jose/key-ring';
import { PostgresAuditLogStore } from './infrastructure/postgres/postgres-audit-log.store';

export interface AuditModuleOptions extends AuditLogOptions {
  /** The signing keys (e.g. `keyRingFromEnv()`). */
  readonly keyRing: KeyRing;
  /**
   * The subject pseudonymiser (the governance HMAC), so `GET /v1/certificates?subjectId=` can
   * filter by a raw id without storing it; absent: that filter answers SUBJECT_ID_UNSUPPORTED.
   */
  readonly subjectRefOf?: SubjectRefOf;
  /**
   * The renderer of `GET /v1/audit/export?format=pdf` (bound to AUDIT_PDF_REPORT): a function, or a
   * factory with its injections. Without one, format=pdf answers 501 EXPORT_FORMAT_UNAVAILABLE.
   */
  readonly pdfReport?:
    | AuditPdfReport
    | {
        readonly imports?: ModuleMetadata['imports'];
        readonly inject?: InjectionToken[];
        readonly useFactory: (...deps: never[]) => AuditPdfReport | Promise<AuditPdfReport>;
      };
}

function pdfReportProviders(pdf: AuditModuleOptions['pdfReport']): Provider[] {
  if (pdf === undefined) return [];
  if (typeof pdf === 'function') return [{ provide: AUDIT_PDF_REPORT, useValue: pdf }];
  return [
    {
      provide: AUDIT_PDF_REPORT,
      inject: pdf.inject ?? [],
      useFactory: pdf.useFactory as (...deps: unknown[]) => AuditPdfReport,
    },
  ];
}

/**
 * The audit context for a Nest app: the routes GET /v1/certificates (list), /v1/certificates/:id,
 * /v1/audit/checkpoint, /v1/audit/consistency, /v1/audit/export (+ /manifest) and
 * /.well-known/jwks.json; command and query handlers on the CQRS buses; the signer
 * (exported, for the JWKS route and for verifying results) and the Postgres store. Needs a TypeORM
 * DataSource in the container with the migrations applied, and CqrsModule.forRoot() in the app.
 */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    const { keyRing, subjectRefOf, pdfReport, ...logOptions } = options;
    const pdfImports =
      pdfReport && typeof pdfReport !== 'function' ? (pdfReport.imports ?? []) : [];
    return {
      module: AuditModule,
      imports: [CqrsModule, ...pdfImports],
      controllers: [
        ListCertificatesHttpController,
        ExportAuditLogHttpController,
        GetCertificateHttpController,
        GetCheckpointHttpController,
        GetConsistencyProofHttpController,
        GetJwksHttpController,
      ],
      providers: [
        { provide: AUDIT_LOG_OPTIONS, useValue: logOptions },
        { provide: AUDIT_SIGNER, useValue: new JoseAuditSigner(keyRing) },
        {
          provide: AUDIT_LOG_STORE,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new PostgresAuditLogStore(dataSource),
        },
        {
          provide: CERTIFICATE_INDEX,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new PostgresCertificateIndex(dataSource),
        },
        ...(subjectRefOf ? [{ provide: SUBJECT_REF_OF, useValue: subjectRefOf }] : []),
        {
          provide: MERKLE_NODE_INDEX,
          inject: [AUDIT_LOG_STORE],
          useFactory: (store: PostgresAuditLogStore) => new MerkleNodeIndex(store),
        },
        ...pdfReportProviders(pdfReport),
        ExportAuditLogHandler,
        GetExportManifestHandler,
        AppendCertificateHandler,
        AppendOutcomeHandler,
        GetCertificateHandler,
        ListCertificatesHandler,
        GetCheckpointHandler,
        GetConsistencyProofHandler,
      ],
      exports: [AUDIT_SIGNER, AUDIT_LOG_STORE],
    };
  }
}
