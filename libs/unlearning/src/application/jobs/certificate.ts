import { createHash } from 'node:crypto';
import {
  CERTIFICATE_SCHEMA,
  type CertificatePayload,
  type CertificateSequence,
  type ModelTransition,
} from '@lethe/audit/domain/certificate/certificate-payload';
import {
  cumulativeGuarantee,
  emptyLedger,
  type CumulativeGuarantee,
} from '../../domain/privacy/accountant';
import type { PublicStep } from '../sequential';
import type { SisaSettings, SisaUnlearnOutcome } from '../sisa/sisa';

/**
 * Why the policy chose the method (evidence.policy): the methods it tried in the model's order,
 * each with its outcome and PUBLIC reason codes only (a private check that failed is
 * 'private-check-failed', never its value).
 */
export interface PolicyEvidence {
  readonly chosen: string | null;
  readonly tried: readonly {
    readonly method: string;
    readonly outcome: 'chosen' | 'refused';
    readonly reasons: readonly string[];
  }[];
}

/*
 * The certificate payload (schema lethe.certificate/v1, docs/contracts.md §5) built from the
 * engine's PUBLIC step only (`PublicStep`: settings, stated assumptions, noisy-release digest,
 * reason codes, the ledger's cumulative guarantee). Nothing here reads the private step, the
 * noise-free chain or raw subject ids (invariant 4); @lethe/audit's validator checks it again
 * before signing.
 */

export interface CertificateContext {
  readonly certificateId: string;
  readonly issuedAt: string;
  readonly requestIds: readonly string[];
  readonly subjectRefs: readonly string[];
  readonly model: ModelTransition;
  /** The certificate's index on the model's chain and the previous certificate's JWS. */
  readonly index: number;
  readonly previousCertificate: string | null;
  readonly producer: { readonly workerId: string; readonly codeVersion: string };
}

/** Hex SHA-256 of a JWS (the chain link `previousCertificateDigest`). */
export const jwsDigest = (jws: string): string =>
  createHash('sha256').update(jws, 'utf8').digest('hex');

/** The certificate id of a job: one job, one certificate. */
export const certificateIdOf = (jobId: string): string => `cert-${jobId}`.slice(0, 128);

/**
 * The sequence block. The cumulative (ε, δ) is the engine ledger's after this step (ADR 0009),
 * raised to at least this release's own (ε, δ): the ledger may compose to a smaller ε than one
 * classic-Gaussian release states (its GDP bound is tighter), and the certificate validator
 * refuses a sequence that claims less than its release. Stating the larger value is sound.
 */
const sequenceOf = (
  c: CertificateContext,
  cumulative: CumulativeGuarantee,
  release: { readonly epsilon: number; readonly delta: number } = { epsilon: 0, delta: 0 },
): CertificateSequence => {
  // A poisoned chain (an uncertified release since the last retrain) claims no cumulative ε.
  const finite =
    cumulative.method !== 'uncertified' &&
    Number.isFinite(cumulative.epsilon) &&
    cumulative.delta < 1;
  return {
    index: c.index,
    previousCertificateDigest: c.previousCertificate ? jwsDigest(c.previousCertificate) : null,
    cumulativeEpsilon: finite ? Math.max(cumulative.epsilon, release.epsilon) : null,
    cumulativeDelta: finite ? Math.max(cumulative.delta, release.delta) : null,
  };
};

/** Drops undefined members (a signed document holds plain I-JSON only). */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** No record of the job was in the base version's training set: nothing changed. */
export const noOpCertificate = (
  c: CertificateContext,
  cumulative: CumulativeGuarantee,
  backend: string,
): CertificatePayload => ({
  certificateId: c.certificateId,
  schema: CERTIFICATE_SCHEMA,
  issuedAt: c.issuedAt,
  requestIds: [...c.requestIds],
  subjectRefs: [...c.subjectRefs],
  model: c.model,
  method: 'no-op',
  guarantee: { type: 'exact', epsilon: 0, delta: 0 },
  sequence: sequenceOf(c, cumulative),
  evidence: {
    backend,
    statement: 'none of the records named by the requests is in the training set of this version',
  },
  producer: c.producer,
});

/** A released step (newton or retrain). `step.release` must be non-null. */
/** The policy's choice in one line of public codes (the result message's `reason`). */
export const policyReason = (p: PolicyEvidence): string =>
  p.tried
    .map(
      (t) => `${t.method} ${t.outcome}${t.reasons.length > 0 ? ` (${t.reasons.join(', ')})` : ''}`,
    )
    .join('; ');

export const releaseCertificate = (
  c: CertificateContext,
  step: PublicStep,
  policy?: PolicyEvidence,
): CertificatePayload => {
  const r = step.release;
  if (!r) throw new Error('releaseCertificate: the step released nothing');
  const g = r.guarantee;
  const engine = {
    step: step.k,
    action: step.action,
    reasons: [...step.reasons],
    n: r.n,
    nU: r.nU,
  };
  const base = {
    certificateId: c.certificateId,
    schema: CERTIFICATE_SCHEMA,
    issuedAt: c.issuedAt,
    requestIds: [...c.requestIds],
    subjectRefs: [...c.subjectRefs],
    model: c.model,
    sequence: sequenceOf(
      c,
      step.cumulative,
      r.guarantee.type === 'certified'
        ? { epsilon: r.guarantee.epsilon as number, delta: r.guarantee.delta as number }
        : undefined,
    ),
    producer: c.producer,
  } as const;
  if (r.method === 'retrain') {
    return plain({
      ...base,
      method: 'retrain',
      guarantee: { type: 'exact', epsilon: 0, delta: 0 },
      evidence: { backend: r.backend, engine, policy, statements: g.statements ?? [] },
    });
  }
  const solver = g.solver ?? {};
  const lissa =
    solver['kind'] === 'lissa'
      ? { S: solver['S'], s: solver['s'], H: solver['H'], b: solver['b'] }
      : undefined;
  const method = r.method === 'convex-newton' ? 'convex-newton' : 'newton-lissa';
  const evidence = plain({
    backend: r.backend,
    engine,
    policy,
    lissa,
    guarantee: {
      mechanism: g.mechanism,
      formula: g.formula,
      boundTerms: g.boundTerms,
      settings: g.settings,
      statements: g.statements,
      checks: g.checks,
      solver,
    },
  });
  if (g.type === 'certified') {
    // Every published constant is a setting or a stated assumption (none measured since the
    // engine audit); the validator wants each name in exactly one of measured / assumed, so
    // settings are listed as assumed and named in evidence.guarantee.settings.
    return plain({
      ...base,
      method,
      guarantee: {
        type: 'certified',
        epsilon: g.epsilon as number,
        delta: g.delta as number,
        sigma: g.sigma,
        bound: g.bound as number,
        assumptions: { ...g.assumptions },
        measured: [],
        assumed: Object.keys(g.assumptions),
      },
      evidence,
    });
  }
  return plain({
    ...base,
    method,
    guarantee: {
      type: 'none',
      sigma: g.sigma,
      reason: g.statements?.[0] ?? 'no (ε, δ) claim',
    },
    evidence,
  });
};

/**
 * A sisa-shard step (docs/adr/0017-sisa-shard.md): exact, ε = 0, δ = 0. The evidence names the
 * shards retrained (index, first retrained slice, the constituent's digest before and after:
 * both public, they are parts of released ensembles) and the ensemble digests (a digest over the
 * constituents' digests, application/sisa/sisa.ts). The intermediate checkpoints stay private.
 */
export const sisaCertificate = (
  c: CertificateContext,
  s: {
    readonly outcome: SisaUnlearnOutcome;
    readonly settings: SisaSettings;
    readonly backend: string;
    readonly n: number;
    readonly nU: number;
    readonly policy: PolicyEvidence;
  },
): CertificatePayload =>
  plain({
    certificateId: c.certificateId,
    schema: CERTIFICATE_SCHEMA,
    issuedAt: c.issuedAt,
    requestIds: [...c.requestIds],
    subjectRefs: [...c.subjectRefs],
    model: c.model,
    method: 'sisa-shard',
    guarantee: { type: 'exact', epsilon: 0, delta: 0 },
    // Exact: the chain's cumulative guarantee is (0, 0) after every SISA step.
    sequence: sequenceOf(c, cumulativeGuarantee(emptyLedger)),
    evidence: {
      backend: s.backend,
      policy: s.policy,
      sisa: {
        shards: s.settings.shards,
        slices: s.settings.slices,
        aggregation: s.settings.aggregation,
        n: s.n,
        nU: s.nU,
        retrained: s.outcome.changes.map((ch) => ({
          shard: ch.shard,
          fromSlice: ch.fromSlice,
          constituentDigestBefore: ch.digestBefore,
          constituentDigestAfter: ch.digestAfter,
        })),
        ensembleDigestBefore: s.outcome.ensembleDigestBefore,
        ensembleDigestAfter: s.outcome.ensembleDigestAfter,
      },
      statements: [
        'the training set is split into shards by a keyed hash of the subject: all records of a subject sit in one shard and one slice',
        'each retrained shard was trained again from its last checkpoint before the first slice that held a deleted record; the stages before it never saw those records, so the constituent equals training the shard from scratch without them',
        'every other constituent is unchanged (same digest)',
      ],
    },
    producer: c.producer,
  });
