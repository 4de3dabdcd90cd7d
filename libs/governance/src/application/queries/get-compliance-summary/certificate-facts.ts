import {
  CERTIFICATE_METHODS,
  type AccuracyReading,
  type CertificateFacts,
  type SummaryMethod,
} from './compliance-summary';

/*
 * Reads the public facts the summary needs out of an audit-log certificate entry: the entry's
 * leaf data is the canonical JSON `{ kind: "certificate", certificateId, jws, … }`, and the JWS
 * payload is the signed certificate (lethe.certificate/v1). Entries were verified when they were
 * appended, and the log's signed checkpoints cover them (docs/adr/0008-audit-log.md); the summary
 * reads them as they stand, it does not re-verify every signature (`GET /v1/certificates/:id`
 * binds each entry it serves to a verified checkpoint, docs/adr/0019-audit-merkle-nodes.md
 * "Reads"; an auditor's offline check re-verifies every signature).
 */

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => (Number.isInteger(v) ? (v as number) : null);

/** An accuracy in [0, 1]: a number, or an evaluation `{ accuracy }`. */
const accuracyOf = (v: unknown, metric: string): AccuracyReading | null => {
  const value = num(isObject(v) ? v['accuracy'] : v);
  return value !== null && value >= 0 && value <= 1 ? { value, metric } : null;
};

/**
 * The accuracies a certificate publishes for its base and released versions. Only the public
 * names are read: `before` / `after`, and `test` (an evaluation on a held-out test set, about the
 * released version). Never `forget` or `retain`: those are computed on the subjects' or the
 * remaining training records, which the certificate's guarantee does not cover.
 */
const accuracies = (
  evidence: unknown,
): { before: AccuracyReading | null; after: AccuracyReading | null } => {
  const a = isObject(evidence) ? evidence['accuracy'] : undefined;
  if (!isObject(a)) return { before: null, after: null };
  return {
    before: accuracyOf(a['before'], 'certificate:evidence.accuracy.before'),
    after:
      accuracyOf(a['after'], 'certificate:evidence.accuracy.after') ??
      accuracyOf(a['test'], 'certificate:evidence.accuracy.test'),
  };
};

/** The payload of a compact JWS, parsed (no signature check: see above). */
export const jwsPayload = (jws: string): unknown => {
  const part = jws.split('.')[1];
  if (part === undefined) throw new Error('not a compact JWS');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
};

/** The facts of one certificate entry's leaf data; null when it is not a readable certificate. */
export const certificateFactsOf = (leafData: Buffer | string): CertificateFacts | null => {
  let payload: unknown;
  try {
    const entry = JSON.parse(
      typeof leafData === 'string' ? leafData : leafData.toString('utf8'),
    ) as unknown;
    if (!isObject(entry) || entry['kind'] !== 'certificate' || typeof entry['jws'] !== 'string')
      return null;
    payload = jwsPayload(entry['jws']);
  } catch {
    return null;
  }
  if (!isObject(payload)) return null;
  const method = payload['method'];
  const guarantee = payload['guarantee'];
  const sequence = payload['sequence'];
  const model = payload['model'];
  if (
    typeof payload['certificateId'] !== 'string' ||
    typeof payload['issuedAt'] !== 'string' ||
    Number.isNaN(Date.parse(payload['issuedAt'])) ||
    !CERTIFICATE_METHODS.includes(method as SummaryMethod) ||
    !isObject(guarantee) ||
    !isObject(sequence)
  )
    return null;
  const type = guarantee['type'];
  if (type !== 'certified' && type !== 'exact' && type !== 'none') return null;
  const m = isObject(model) ? model : null;
  const { before, after } = accuracies(payload['evidence']);
  return {
    certificateId: payload['certificateId'],
    issuedAt: new Date(payload['issuedAt']).toISOString(),
    method: method as SummaryMethod,
    guaranteeType: type,
    epsilon: type === 'none' ? null : num(guarantee['epsilon']),
    delta: type === 'none' ? null : num(guarantee['delta']),
    sigma: num(guarantee['sigma']),
    modelId: m && typeof m['modelId'] === 'string' ? m['modelId'] : null,
    versionBefore: m ? int(m['versionBefore']) : null,
    versionAfter: m ? int(m['versionAfter']) : null,
    sequenceIndex: int(sequence['index']) ?? 0,
    cumulativeEpsilon: num(sequence['cumulativeEpsilon']),
    cumulativeDelta: num(sequence['cumulativeDelta']),
    accuracyBefore: before,
    accuracyAfter: after,
  };
};

/** A version's public accuracy from its registration metrics: test, then plain, then training. */
export const versionAccuracy = (
  metrics: Readonly<Record<string, unknown>> | null,
): AccuracyReading | null => {
  if (!metrics) return null;
  for (const name of ['testAccuracy', 'accuracy', 'trainAccuracy']) {
    const r = accuracyOf(metrics[name], `metrics:${name}`);
    if (r) return r;
  }
  return null;
};
