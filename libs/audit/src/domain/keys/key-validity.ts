import { AuditError, AuditErrorCode } from '../audit.errors';

/**
 * When a signing key may sign: certificates and checkpoints issued in [notBefore, notAfter).
 * The current key has notAfter = null. Rotation closes the current key's window at the instant the
 * new key's opens; retired keys stay published (JWKS) so that what they signed still verifies.
 */
export interface KeyValidity {
  readonly kid: string;
  readonly notBefore: Date;
  readonly notAfter: Date | null;
}

export function isValidAt(key: KeyValidity, at: Date): boolean {
  const t = at.getTime();
  return t >= key.notBefore.getTime() && (key.notAfter === null || t < key.notAfter.getTime());
}

const KID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * Checks a key ring's windows: unique well-formed kids, non-empty windows, no two windows overlap,
 * and exactly one open (current) key, which starts after every other key's window.
 */
export function assertKeyWindows(keys: readonly KeyValidity[]): void {
  const problems: string[] = [];
  const kids = new Set<string>();
  for (const k of keys) {
    if (!KID.test(k.kid))
      problems.push(`kid ${JSON.stringify(k.kid)} is not [A-Za-z0-9._:-]{1,64}`);
    if (kids.has(k.kid)) problems.push(`kid ${k.kid} appears twice`);
    kids.add(k.kid);
    if (Number.isNaN(k.notBefore.getTime())) problems.push(`${k.kid}: notBefore is not a date`);
    if (k.notAfter !== null && !(k.notAfter.getTime() > k.notBefore.getTime())) {
      problems.push(`${k.kid}: notAfter must be after notBefore`);
    }
  }
  const open = keys.filter((k) => k.notAfter === null);
  if (open.length !== 1)
    problems.push(`exactly one current key (notAfter null) expected, found ${open.length}`);
  const sorted = [...keys].sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime());
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as KeyValidity;
    const next = sorted[i] as KeyValidity;
    if (prev.notAfter === null || prev.notAfter.getTime() > next.notBefore.getTime()) {
      problems.push(`windows of ${prev.kid} and ${next.kid} overlap`);
    }
  }
  if (problems.length > 0) {
    throw new AuditError(
      AuditErrorCode.KEY_RING_INVALID,
      `invalid key ring: ${problems.join('; ')}`,
      {
        problems,
      },
    );
  }
}
