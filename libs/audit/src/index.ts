// @lethe/audit: certificates (Ed25519 JWS over RFC 8785 JSON), the key ring and JWKS, and the
// tamper-evident audit log (hash chain + RFC 9162 Merkle tree + signed checkpoints).
// Decisions: docs/adr/0008-audit-log.md.
export * from './domain/audit.errors';
// Canonical JSON (RFC 8785) is the shared kernel's: @lethe/shared/domain.
export {
  assertIJson,
  canonicalJson,
  canonicalJsonBytes,
  type JsonValue,
} from '@lethe/shared/domain';
export * from './domain/certificate/certificate-payload';
export * from './domain/certificate/validate-certificate-payload';
export * from './domain/keys/jwks';
export * from './domain/keys/key-validity';
export * from './domain/log/audit-entry';
export * from './domain/log/checkpoint';
export * from './domain/merkle/rfc6962';
export * from './domain/merkle/merkle-levels';
export * from './domain/merkle/merkle-nodes';
export * from './domain/export/export-format';
export * from './application/ports/audit-log-store.port';
export * from './application/ports/audit-options.port';
export * from './application/ports/signing.port';
export * from './application/ports/certificate-index.port';
export * from './application/log-appender';
export * from './application/verify-log/verify-log';
export * from './application/verify-export/verify-export';
export * from './application/merkle-node-index';
export * from './application/queries/checkpoint.view';
export * from './application/commands/append-certificate/append-certificate.command';
export * from './application/commands/append-certificate/append-certificate.handler';
export * from './application/commands/append-outcome/append-outcome.command';
export * from './application/commands/append-outcome/append-outcome.handler';
export * from './application/queries/get-certificate/get-certificate.query';
export * from './application/queries/get-certificate/get-certificate.handler';
export * from './application/queries/list-certificates/list-certificates.query';
export * from './application/queries/list-certificates/list-certificates.handler';
export * from './application/queries/get-checkpoint/get-checkpoint.query';
export * from './application/queries/get-checkpoint/get-checkpoint.handler';
export * from './application/queries/get-consistency-proof/get-consistency-proof.query';
export * from './application/queries/get-consistency-proof/get-consistency-proof.handler';
export * from './infrastructure/jose/ed25519-keys';
export * from './infrastructure/jose/jws';
export * from './infrastructure/jose/key-ring';
export * from './infrastructure/jose/jose-audit-signer';
export * from './infrastructure/jose/export-verifier';
export * from './application/queries/export-audit-log/audit-pdf-report.port';
export * from './application/queries/export-audit-log/export-audit-log.dto';
export * from './application/queries/export-audit-log/export-audit-log.query';
export * from './application/queries/export-audit-log/export-manifest.query';
export * from './infrastructure/postgres/postgres-audit-log.store';
export * from './infrastructure/postgres/postgres-certificate-index';
export * from './audit.module';
