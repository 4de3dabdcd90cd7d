import { Query } from '@nestjs/cqrs';
import type { CertificatePayload } from '../../../domain/certificate/certificate-payload';
import type { CheckpointView } from '../checkpoint.view';

export interface CertificateView {
  readonly certificateId: string;
  /** The compact JWS exactly as appended. */
  readonly jws: string;
  readonly kid: string;
  readonly payload: CertificatePayload;
  /** RFC 9162 inclusion proof of the entry in the latest checkpoint's tree. */
  readonly inclusionProof: {
    readonly leafIndex: number;
    readonly treeSize: number;
    /** Hex leaf data (canonical JSON of the entry) and its hex leaf hash SHA-256(0x00 ‖ data). */
    readonly leafData: string;
    readonly leafHash: string;
    /** Hex audit path, bottom up. */
    readonly hashes: readonly string[];
  };
  readonly checkpoint: CheckpointView;
}

/** A certificate: its JWS, decoded payload and inclusion proof against the latest checkpoint. */
export class GetCertificateQuery extends Query<CertificateView> {
  constructor(readonly certificateId: string) {
    super();
  }
}
