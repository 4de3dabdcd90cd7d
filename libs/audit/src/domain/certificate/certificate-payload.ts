/**
 * The certificate payload, schema `lethe.certificate/v1` (docs/adr/0008-audit-log.md describes the
 * fields). It is signed as a JWS over its RFC 8785 canonical JSON.
 *
 * The type is discriminated twice: by `method`, which fixes the kinds of guarantee it may claim,
 * and by `guarantee.type`:
 * - `newton-lissa`, `convex-newton` → `certified` (ε, δ, σ, bound) or `none` (paper-experiment);
 * - `retrain`, `sisa-shard` → `exact` (ε = δ = 0);
 * - `no-op` (nothing was trained on the subject) → `exact`, and the model did not change.
 */
export const CERTIFICATE_SCHEMA = 'lethe.certificate/v1';

export type CertifiedMethod = 'newton-lissa' | 'convex-newton';
export type ExactMethod = 'retrain' | 'sisa-shard';
export type CertificateMethod = CertifiedMethod | ExactMethod | 'no-op';

export const CERTIFIED_METHODS: readonly CertifiedMethod[] = ['newton-lissa', 'convex-newton'];
export const EXACT_METHODS: readonly ExactMethod[] = ['retrain', 'sisa-shard'];

/** A number, a string or a boolean: what an assumption or a setting may be. */
export type Scalar = number | string | boolean;

/** (ε, δ)-certified removal: the released weights carry Gaussian noise of scale σ ≥ what Δ needs. */
export interface CertifiedGuarantee {
  readonly type: 'certified';
  readonly epsilon: number;
  readonly delta: number;
  /** Standard deviation of the Gaussian noise added to the release. */
  readonly sigma: number;
  /** Δ, the bound on ‖w̃ − w*_r‖ the noise is calibrated to. */
  readonly bound: number;
  /** Every constant the bound uses: C, λ, M, λ_min, λ_max, G, ρ, … */
  readonly assumptions: Readonly<Record<string, Scalar>>;
  /** Names in `assumptions` that were measured (and how is in `evidence`). */
  readonly measured: readonly string[];
  /** Names in `assumptions` that are assumed, not measured (M always is). */
  readonly assumed: readonly string[];
}

/** Exact removal: the model is what training without the subject gives (ε = δ = 0). */
export interface ExactGuarantee {
  readonly type: 'exact';
  readonly epsilon: 0;
  readonly delta: 0;
}

/** No guarantee (paper-experiment mode): the certificate records what was done, nothing more. */
export interface NoGuarantee {
  readonly type: 'none';
  /** Fixed noise scale of the experiment, if any. */
  readonly sigma?: number;
  /** Why no guarantee is claimed. */
  readonly reason: string;
}

export type Guarantee = CertifiedGuarantee | ExactGuarantee | NoGuarantee;

export interface ModelTransition {
  readonly modelId: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
  /** Lowercase hex SHA-256 of the released weights. */
  readonly digestBefore: string;
  readonly digestAfter: string;
}

export interface CertificateSequence {
  /** k: this is the k-th certificate on the model's chain (k ≥ 1). */
  readonly index: number;
  /** Hex SHA-256 of the previous certificate's JWS, null for the first. */
  readonly previousCertificateDigest: string | null;
  /** Cumulative privacy loss of the chain; null once a `none` release poisoned it. */
  readonly cumulativeEpsilon: number | null;
  readonly cumulativeDelta: number | null;
}

export interface CertificateProducer {
  readonly workerId: string;
  readonly codeVersion: string;
}

/** Public evidence only: accuracy, MIA, LiSSA settings, backend. Never noise-free values. */
export type CertificateEvidence = Readonly<Record<string, unknown>>;

interface PayloadBase {
  readonly certificateId: string;
  readonly schema: typeof CERTIFICATE_SCHEMA;
  /** RFC 3339 UTC timestamp, e.g. 2026-11-29T12:00:00Z (checked against the key's window). */
  readonly issuedAt: string;
  readonly requestIds: readonly string[];
  /** Pseudonymous subject references `sr1_…` (HMAC of the subject id), never raw ids. */
  readonly subjectRefs: readonly string[];
  readonly sequence: CertificateSequence;
  readonly evidence: CertificateEvidence;
  readonly producer: CertificateProducer;
}

export interface CertifiedUpdateCertificate extends PayloadBase {
  readonly method: CertifiedMethod;
  readonly model: ModelTransition;
  readonly guarantee: CertifiedGuarantee | NoGuarantee;
}

export interface ExactUpdateCertificate extends PayloadBase {
  readonly method: ExactMethod;
  readonly model: ModelTransition;
  readonly guarantee: ExactGuarantee;
}

export interface NoOpCertificate extends PayloadBase {
  readonly method: 'no-op';
  /** The model the subject was checked against (unchanged), or null when no model was concerned. */
  readonly model: ModelTransition | null;
  readonly guarantee: ExactGuarantee;
}

export type CertificatePayload =
  CertifiedUpdateCertificate | ExactUpdateCertificate | NoOpCertificate;
