import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { appendEntry } from '../../log-appender';
import { AUDIT_LOG_STORE, type AuditLogStore } from '../../ports/audit-log-store.port';
import { AUDIT_LOG_OPTIONS, type AuditLogOptions } from '../../ports/audit-options.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import {
  AppendCertificateCommand,
  type AppendCertificateResult,
} from './append-certificate.command';

@CommandHandler(AppendCertificateCommand)
export class AppendCertificateHandler implements ICommandHandler<AppendCertificateCommand> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(AUDIT_LOG_OPTIONS) private readonly options: AuditLogOptions,
  ) {}

  async execute(c: AppendCertificateCommand): Promise<AppendCertificateResult> {
    const verified = await this.signer.verifyCertificate(c.jws);
    const { certificateId } = verified.payload;
    const { entry, created } = await appendEntry(this.store, this.signer, this.options, {
      kind: 'certificate',
      certificateId,
      jws: c.jws,
    });
    return { certificateId, leafIndex: entry.index, created, kid: verified.kid };
  }
}
