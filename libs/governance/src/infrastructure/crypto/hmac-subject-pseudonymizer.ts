import { createHmac } from 'node:crypto';
import { SubjectRef, type SubjectId } from '@lethe/shared';
import type { SubjectPseudonymizer } from '../../application/ports/subject-pseudonymizer.port';

/**
 * `SubjectRef` = `sr1_` + base64url(HMAC-SHA256(key, subjectId)). Deterministic under one key, so
 * the same subject maps to the same reference in every event; without the key it cannot be
 * reversed or recomputed from a guessed id. `sr1` names the scheme so a key rotation can add `sr2`.
 */
export class HmacSubjectPseudonymizer implements SubjectPseudonymizer {
  private readonly key: Buffer;

  constructor(key: string | Buffer) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
    if (this.key.length < 32) throw new Error('subject HMAC key must be at least 32 bytes');
  }

  refOf(subjectId: SubjectId): SubjectRef {
    return SubjectRef(
      `sr1_${createHmac('sha256', this.key).update(subjectId, 'utf8').digest('base64url')}`,
    );
  }
}
