import { Command } from '@nestjs/cqrs';

export interface AppendCertificateResult {
  readonly certificateId: string;
  readonly leafIndex: number;
  /** False when this certificate was already in the log (exactly-once append). */
  readonly created: boolean;
  readonly kid: string;
}

/**
 * Append a signed certificate (compact JWS) to the audit log. The JWS is verified against the key
 * ring's published JWKS first; a certificate that does not verify is refused and nothing changes.
 */
export class AppendCertificateCommand extends Command<AppendCertificateResult> {
  constructor(readonly jws: string) {
    super();
  }
}
