import { hash } from 'node:crypto';
import type { SubjectRef } from '@lethe/shared';
import { byCodeUnits, type JsonValue } from '@lethe/shared/domain';
import type { DeletionScope } from './deletion-request.events';

/**
 * What a deletion request asks for, as far as the idempotency rule is concerned: two events with
 * the same (source, id) are the same request only if these agree (docs/adr/0006-deletion-intake.md).
 * The subject is its pseudonymous reference (an HMAC), so nothing derived from the raw id is kept.
 * Envelope fields (`time`, `subject`, `datacontenttype`) and the receipt time are not content.
 */
export interface RequestContent {
  readonly subjectRef: SubjectRef;
  readonly scope: DeletionScope | null;
  readonly legalBasis: string;
  /** The event's own `data.deadline`, if any (not the computed one, which depends on receipt). */
  readonly requestedDeadline: string | null;
}

const asSet = (ids: readonly string[] | null): string[] | null =>
  ids === null ? null : [...new Set(ids)].sort(byCodeUnits);

/**
 * The scope in canonical form: `datasetIds` and `recordIds` are sets (`inScope` only asks whether
 * an id is included), so they are sorted and de-duplicated; a scope that narrows nothing
 * (`{}` or both lists absent) means every record of the subject, like no scope at all.
 */
export const canonicalScope = (scope: DeletionScope | null): DeletionScope | null => {
  if (scope === null) return null;
  const datasetIds = asSet(scope.datasetIds);
  const recordIds = asSet(scope.recordIds);
  return datasetIds === null && recordIds === null ? null : { datasetIds, recordIds };
};

/** The canonical scope as a JSON value, members in RFC 8785 order. */
export const canonicalScopeJson = (scope: DeletionScope | null): JsonValue => {
  const s = canonicalScope(scope);
  return s === null ? null : { datasetIds: s.datasetIds, recordIds: s.recordIds };
};

/** The canonical scope as text, in the `c1` form of `canonicalContent` (comparisons). */
export const canonicalScopeText = (scope: DeletionScope | null): string =>
  JSON.stringify(canonicalScopeJson(scope));

/** An RFC 3339 instant as UTC ISO-8601 with milliseconds (the precision the domain keeps). */
export const canonicalInstant = (at: string): string => new Date(at).toISOString();

/**
 * Legal bases name statutes case-insensitively (`statuteOf`); `GDPR-Art-17` and `gdpr-art-17`
 * are one basis.
 */
export const canonicalLegalBasis = (legalBasis: string): string => legalBasis.toLowerCase();

/**
 * The content in canonical form, `c1`: RFC 8785 JSON. Built with its members already in RFC 8785
 * order (code-unit order of the names, at both levels) and holding only strings, null and arrays
 * of strings, so `JSON.stringify` writes exactly what the shared `canonicalJson` (RFC 8785, JCS)
 * writes (the spec checks it), at a fraction of the cost: it runs once per inbound event.
 *
 * One input differs, and `c1` keeps its own answer for it so that stored digests stay valid: a
 * string with a lone UTF-16 surrogate (an id sent as `"\ud800"`), which is not I-JSON. RFC 8785
 * refuses it (NOT_CANONICALIZABLE); `c1` escapes it as `JSON.stringify` does (`"\ud800"`), as it
 * always has. Requests with such ids were accepted before and may be stored with that digest
 * (intake-digests.golden.spec.ts pins it); see docs/architecture.md, "Canonical JSON".
 */
export const canonicalContent = (c: RequestContent): string => {
  const scope = canonicalScope(c.scope);
  return JSON.stringify({
    deadline: c.requestedDeadline === null ? null : canonicalInstant(c.requestedDeadline),
    legalBasis: canonicalLegalBasis(c.legalBasis),
    scope: scope === null ? null : { datasetIds: scope.datasetIds, recordIds: scope.recordIds },
    subjectRef: c.subjectRef,
  });
};

/** `c1:` + SHA-256 (hex) of the canonical content; `c1` names this canonical form. */
export const contentDigestOf = (c: RequestContent): string =>
  `c1:${hash('sha256', canonicalContent(c), 'hex')}`;
