import { type DynamicModule, Module } from '@nestjs/common';
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
}

/**
 * The audit context for a Nest app: the routes GET /v1/certificates (list), /v1/certificates/:id, /v1/audit/checkpoint,
 * /v1/audit/consistency and /.well-known/jwks.json; command and query handlers on the CQRS buses; the signer
 * (exported, for the JWKS route and for verifying results) and the Postgres store. Needs a TypeORM
 * DataSource in the container with the migrations applied, and CqrsModule.forRoot() in the app.
 */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    const { keyRing, subjectRefOf, ...logOptions } = options;
    return {
      module: AuditModule,
      imports: [CqrsModule],
      controllers: [
        ListCertificatesHttpController,
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
