import { AuditError, AuditErrorCode } from '../audit.errors';
import { assertIJson } from '@lethe/shared/domain';
import {
  CERTIFICATE_SCHEMA,
  CERTIFIED_METHODS,
  EXACT_METHODS,
  type CertificatePayload,
} from './certificate-payload';

/** `sr1_` + base64url(HMAC-SHA256(key, subjectId)): 32 bytes are 43 base64url characters. */
export const SUBJECT_REF_PATTERN = /^sr1_[A-Za-z0-9_-]{43}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** RFC 3339 in UTC with an optional fraction, as `Date.toISOString()` writes it or without millis. */
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/**
 * Property names that would carry private values: raw subject ids, the noise-free chain state
 * or weights. Refused anywhere in the payload (invariant: nothing published is computed from them).
 */
const FORBIDDEN_KEYS =
  /^(subjectids?|rawsubjectids?|noisefree.*|.*noisefree|privatestate|chainstate|wtilde|weights|parameters)$/i;

const TOP_LEVEL = [
  'certificateId',
  'schema',
  'issuedAt',
  'requestIds',
  'subjectRefs',
  'model',
  'method',
  'guarantee',
  'sequence',
  'evidence',
  'producer',
] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

class Violations {
  readonly list: string[] = [];
  add(path: string, why: string): void {
    this.list.push(`${path}: ${why}`);
  }
  check(ok: boolean, path: string, why: string): void {
    if (!ok) this.add(path, why);
  }
  onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.add(`${path}.${k}`, 'unknown field');
  }
}

function scanForbidden(value: unknown, path: string, v: Violations): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => scanForbidden(item, `${path}[${i}]`, v));
  } else if (isObj(value)) {
    for (const [k, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.test(k))
        v.add(
          `${path}.${k}`,
          'private value (raw subject id or noise-free state) may not be published',
        );
      scanForbidden(item, `${path}.${k}`, v);
    }
  }
}

function checkModel(model: unknown, method: unknown, v: Violations): void {
  if (method === 'no-op' && model === null) return;
  if (!isObj(model)) return v.add('$.model', 'required object');
  v.onlyKeys(
    model,
    ['modelId', 'versionBefore', 'versionAfter', 'digestBefore', 'digestAfter'],
    '$.model',
  );
  v.check(isStr(model.modelId) && ID.test(model.modelId), '$.model.modelId', 'required id');
  v.check(
    isInt(model.versionBefore) && model.versionBefore >= 0,
    '$.model.versionBefore',
    'integer ≥ 0',
  );
  v.check(
    isInt(model.versionAfter) && model.versionAfter >= 0,
    '$.model.versionAfter',
    'integer ≥ 0',
  );
  v.check(
    typeof model.digestBefore === 'string' && SHA256_HEX.test(model.digestBefore),
    '$.model.digestBefore',
    'lowercase hex SHA-256',
  );
  v.check(
    typeof model.digestAfter === 'string' && SHA256_HEX.test(model.digestAfter),
    '$.model.digestAfter',
    'lowercase hex SHA-256',
  );
  if (!isInt(model.versionBefore) || !isInt(model.versionAfter)) return;
  if (method === 'no-op') {
    v.check(
      model.versionAfter === model.versionBefore,
      '$.model.versionAfter',
      'a no-op releases no new version',
    );
    v.check(
      model.digestAfter === model.digestBefore,
      '$.model.digestAfter',
      'a no-op leaves the weights as they were',
    );
  } else {
    v.check(
      model.versionAfter > model.versionBefore,
      '$.model.versionAfter',
      'must be a later version than versionBefore',
    );
  }
}

/** Classical Gaussian mechanism: σ ≥ Δ·sqrt(2 ln(1.25/δ))/ε, valid for ε ≤ 1. */
export function classicalGaussianSigma(bound: number, epsilon: number, delta: number): number {
  return (bound * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

function checkGuarantee(g: unknown, method: unknown, v: Violations): void {
  if (!isObj(g)) return v.add('$.guarantee', 'required object');
  const certifiedMethod = CERTIFIED_METHODS.includes(method as never);
  switch (g.type) {
    case 'certified': {
      v.check(
        certifiedMethod,
        '$.guarantee.type',
        `method ${String(method)} cannot claim a certified guarantee`,
      );
      v.onlyKeys(
        g,
        ['type', 'epsilon', 'delta', 'sigma', 'bound', 'assumptions', 'measured', 'assumed'],
        '$.guarantee',
      );
      v.check(
        isNum(g.epsilon) && g.epsilon > 0,
        '$.guarantee.epsilon',
        'a certified claim needs ε > 0',
      );
      v.check(
        isNum(g.delta) && g.delta > 0 && g.delta < 1,
        '$.guarantee.delta',
        'a certified claim needs 0 < δ < 1',
      );
      v.check(isNum(g.sigma) && g.sigma > 0, '$.guarantee.sigma', 'a certified claim needs σ > 0');
      v.check(
        isNum(g.bound) && g.bound > 0,
        '$.guarantee.bound',
        'a certified claim needs the bound Δ > 0',
      );
      if (
        isNum(g.epsilon) &&
        isNum(g.delta) &&
        isNum(g.sigma) &&
        isNum(g.bound) &&
        g.epsilon > 0 &&
        g.epsilon <= 1 &&
        g.delta > 0 &&
        g.delta < 1
      ) {
        // Relative slack for the producer's floating point; a σ below the mechanism's is a false claim.
        const needed = classicalGaussianSigma(g.bound, g.epsilon, g.delta);
        v.check(
          g.sigma >= needed * (1 - 1e-9),
          '$.guarantee.sigma',
          `σ = ${g.sigma} is below Δ·sqrt(2 ln(1.25/δ))/ε = ${needed}`,
        );
      }
      if (!isObj(g.assumptions)) {
        v.add('$.guarantee.assumptions', 'required object of named constants');
      } else {
        const names = Object.keys(g.assumptions);
        v.check(
          names.length > 0,
          '$.guarantee.assumptions',
          'a certified claim states its constants',
        );
        for (const [k, val] of Object.entries(g.assumptions)) {
          v.check(
            isNum(val) || typeof val === 'string' || typeof val === 'boolean',
            `$.guarantee.assumptions.${k}`,
            'number, string or boolean',
          );
        }
        const measured: unknown[] | null = Array.isArray(g.measured)
          ? (g.measured as unknown[])
          : null;
        const assumed: unknown[] | null = Array.isArray(g.assumed)
          ? (g.assumed as unknown[])
          : null;
        if (!measured || !measured.every(isStr))
          v.add('$.guarantee.measured', 'required array of names');
        if (!assumed || !assumed.every(isStr))
          v.add('$.guarantee.assumed', 'required array of names');
        if (measured && assumed) {
          for (const name of names) {
            const m = measured.includes(name);
            const a = assumed.includes(name);
            v.check(
              m !== a,
              `$.guarantee.assumptions.${name}`,
              'must be listed in exactly one of measured / assumed',
            );
          }
          for (const name of [...measured, ...assumed]) {
            v.check(
              typeof name === 'string' && names.includes(name),
              '$.guarantee',
              `${String(name)} is listed but not in assumptions`,
            );
          }
          if (names.includes('M'))
            v.check(
              assumed.includes('M'),
              '$.guarantee.measured',
              'M has no certified estimate: it is assumed',
            );
        }
      }
      return;
    }
    case 'exact':
      v.check(
        EXACT_METHODS.includes(method as never) || method === 'no-op',
        '$.guarantee.type',
        `method ${String(method)} cannot claim an exact guarantee`,
      );
      v.onlyKeys(g, ['type', 'epsilon', 'delta'], '$.guarantee');
      v.check(g.epsilon === 0, '$.guarantee.epsilon', 'exact means ε = 0');
      v.check(g.delta === 0, '$.guarantee.delta', 'exact means δ = 0');
      return;
    case 'none':
      v.check(
        certifiedMethod,
        '$.guarantee.type',
        `method ${String(method)} has an exact guarantee, not none`,
      );
      v.onlyKeys(g, ['type', 'sigma', 'reason'], '$.guarantee');
      v.check(
        g.sigma === undefined || (isNum(g.sigma) && g.sigma >= 0),
        '$.guarantee.sigma',
        'σ ≥ 0 when given',
      );
      v.check(isStr(g.reason), '$.guarantee.reason', 'a certificate without guarantee says why');
      return;
    default:
      v.add('$.guarantee.type', 'one of certified, exact, none');
  }
}

function checkSequence(s: unknown, guarantee: unknown, v: Violations): void {
  if (!isObj(s)) return v.add('$.sequence', 'required object');
  v.onlyKeys(
    s,
    ['index', 'previousCertificateDigest', 'cumulativeEpsilon', 'cumulativeDelta'],
    '$.sequence',
  );
  v.check(isInt(s.index) && s.index >= 1, '$.sequence.index', 'integer ≥ 1');
  v.check(
    s.previousCertificateDigest === null ||
      (typeof s.previousCertificateDigest === 'string' &&
        SHA256_HEX.test(s.previousCertificateDigest)),
    '$.sequence.previousCertificateDigest',
    'null or lowercase hex SHA-256',
  );
  if (isInt(s.index)) {
    v.check(
      (s.index === 1) === (s.previousCertificateDigest === null),
      '$.sequence.previousCertificateDigest',
      'null exactly for the first certificate of a chain',
    );
  }
  v.check(
    s.cumulativeEpsilon === null || (isNum(s.cumulativeEpsilon) && s.cumulativeEpsilon >= 0),
    '$.sequence.cumulativeEpsilon',
    'null or ≥ 0',
  );
  v.check(
    s.cumulativeDelta === null ||
      (isNum(s.cumulativeDelta) && s.cumulativeDelta >= 0 && s.cumulativeDelta < 1),
    '$.sequence.cumulativeDelta',
    'null or in [0, 1)',
  );
  v.check(
    (s.cumulativeEpsilon === null) === (s.cumulativeDelta === null),
    '$.sequence',
    'cumulative ε and δ are both null or both numbers',
  );
  if (!isObj(guarantee)) return;
  if (guarantee.type === 'none') {
    v.check(
      s.cumulativeEpsilon === null,
      '$.sequence.cumulativeEpsilon',
      'a release without guarantee poisons the chain: cumulative ε must be null',
    );
  }
  if (guarantee.type === 'certified' && isNum(s.cumulativeEpsilon) && isNum(guarantee.epsilon)) {
    v.check(
      s.cumulativeEpsilon >= guarantee.epsilon,
      '$.sequence.cumulativeEpsilon',
      'cannot be below this release’s ε',
    );
  }
  if (guarantee.type === 'certified' && isNum(s.cumulativeDelta) && isNum(guarantee.delta)) {
    v.check(
      s.cumulativeDelta >= guarantee.delta,
      '$.sequence.cumulativeDelta',
      'cannot be below this release’s δ',
    );
  }
}

/**
 * Checks an untrusted value against the certificate schema and the honesty rules, and returns it
 * typed. Throws INVALID_CERTIFICATE with every violation in `details.violations`.
 */
export function validateCertificatePayload(value: unknown): CertificatePayload {
  assertIJson(value);
  const v = new Violations();
  if (!isObj(value))
    throw new AuditError(
      AuditErrorCode.INVALID_CERTIFICATE,
      'certificate payload must be an object',
      { violations: ['$: object required'] },
    );
  v.onlyKeys(value, TOP_LEVEL, '$');
  v.check(value.schema === CERTIFICATE_SCHEMA, '$.schema', `must be ${CERTIFICATE_SCHEMA}`);
  v.check(
    isStr(value.certificateId) && ID.test(value.certificateId),
    '$.certificateId',
    'required id ([A-Za-z0-9._:-], ≤ 128)',
  );
  v.check(
    typeof value.issuedAt === 'string' &&
      RFC3339_UTC.test(value.issuedAt) &&
      !Number.isNaN(Date.parse(value.issuedAt)),
    '$.issuedAt',
    'RFC 3339 UTC timestamp',
  );
  const requestIds = value.requestIds;
  if (
    !Array.isArray(requestIds) ||
    requestIds.length === 0 ||
    !requestIds.every((r) => isStr(r) && ID.test(r))
  ) {
    v.add('$.requestIds', 'non-empty array of ids');
  } else {
    v.check(new Set(requestIds).size === requestIds.length, '$.requestIds', 'no duplicates');
  }
  const refs = value.subjectRefs;
  if (!Array.isArray(refs) || refs.length === 0) {
    v.add('$.subjectRefs', 'non-empty array of sr1_ references');
  } else {
    refs.forEach((r, i) =>
      v.check(
        typeof r === 'string' && SUBJECT_REF_PATTERN.test(r),
        `$.subjectRefs[${i}]`,
        'must be a pseudonymous sr1_ reference, never a raw subject id',
      ),
    );
    v.check(new Set(refs).size === refs.length, '$.subjectRefs', 'no duplicates');
  }
  v.check(
    ['newton-lissa', 'convex-newton', 'retrain', 'sisa-shard', 'no-op'].includes(
      value.method as string,
    ),
    '$.method',
    'newton-lissa | convex-newton | retrain | sisa-shard | no-op',
  );
  checkModel(value.model, value.method, v);
  checkGuarantee(value.guarantee, value.method, v);
  checkSequence(value.sequence, value.guarantee, v);
  v.check(isObj(value.evidence), '$.evidence', 'required object');
  if (isObj(value.producer)) {
    v.onlyKeys(value.producer, ['workerId', 'codeVersion'], '$.producer');
    v.check(isStr(value.producer.workerId), '$.producer.workerId', 'required');
    v.check(isStr(value.producer.codeVersion), '$.producer.codeVersion', 'required');
  } else {
    v.add('$.producer', 'required object');
  }
  scanForbidden(value, '$', v);
  if (v.list.length > 0) {
    throw new AuditError(
      AuditErrorCode.INVALID_CERTIFICATE,
      `invalid certificate: ${v.list.join('; ')}`,
      {
        violations: v.list,
      },
    );
  }
  return value as unknown as CertificatePayload;
}
