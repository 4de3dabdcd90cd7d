import type { CertificatePayload } from '@lethe/audit';
import type { PolicyAttempt, PolicyChoice } from '../../../domain/shared/policy-choice';

/** The policy's methods (the job profile's `policy.methods`) and the certificate method of each. */
const CERTIFICATE_METHOD_OF: ReadonlyMap<string, string> = new Map([
  ['newton', 'newton-lissa'],
  ['convex-newton', 'convex-newton'],
  ['sisa-shard', 'sisa-shard'],
  ['retrain', 'retrain'],
]);
/** A public reason code: lowercase words joined by hyphens (e.g. `private-check-failed`). */
const CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_CODE_LENGTH = 64;
const MAX_TRIED = 8;
const MAX_REASONS = 16;

export type PolicyEvidenceReading =
  | { readonly policy: PolicyChoice; readonly problem: null }
  /** No policy to record: none stated (problem null), or one that is not recorded (why). */
  | { readonly policy: null; readonly problem: string | null };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isCode = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= MAX_CODE_LENGTH && CODE.test(v);

/**
 * The policy's choice as the verified certificate states it (`evidence.policy`: `{chosen,
 * tried: [{method, outcome, reasons}]}`), for the job's and the requests' history. Only what is
 * plainly public is kept: known method names, reason codes of the code shape (no free text, so no
 * identifier or measured value can ride along), and a choice that agrees with the certificate's
 * own method. Anything else is not recorded and the reading says why; the certificate itself is
 * still accepted (the policy is explanation, the signed method and guarantee are the claim).
 */
export function policyChoiceOf(payload: CertificatePayload): PolicyEvidenceReading {
  const raw = payload.evidence.policy;
  if (raw === undefined) return { policy: null, problem: null };
  const refuse = (why: string): PolicyEvidenceReading => ({
    policy: null,
    problem: `evidence.policy not recorded: ${why}`,
  });
  if (!isRecord(raw)) return refuse('not an object');
  const { chosen, tried } = raw;
  if (typeof chosen !== 'string' || !CERTIFICATE_METHOD_OF.has(chosen)) {
    return refuse('chosen is not a policy method');
  }
  if (CERTIFICATE_METHOD_OF.get(chosen) !== payload.method) {
    return refuse(`chosen ${chosen} does not release a ${payload.method} certificate`);
  }
  if (!Array.isArray(tried) || tried.length === 0 || tried.length > MAX_TRIED) {
    return refuse(`tried is not a list of 1..${MAX_TRIED} attempts`);
  }
  const attempts: PolicyAttempt[] = [];
  for (const t of tried as unknown[]) {
    if (!isRecord(t)) return refuse('an attempt is not an object');
    const { method, outcome, reasons } = t;
    if (typeof method !== 'string' || !CERTIFICATE_METHOD_OF.has(method)) {
      return refuse('an attempt names no policy method');
    }
    if (outcome !== 'chosen' && outcome !== 'refused') {
      return refuse(`the attempt of ${method} has no outcome chosen or refused`);
    }
    if (!Array.isArray(reasons) || reasons.length > MAX_REASONS || !reasons.every(isCode)) {
      return refuse(`the attempt of ${method} has reasons that are not public codes`);
    }
    attempts.push({ method, outcome, reasons: [...reasons] });
  }
  const picked = attempts.filter((a) => a.outcome === 'chosen');
  if (picked.length !== 1 || picked[0]?.method !== chosen) {
    return refuse(`the attempts do not choose ${chosen} exactly once`);
  }
  return { policy: { chosen, tried: attempts }, problem: null };
}
