import canonicalize from 'canonicalize';
import { DomainError, type DomainErrorKind } from './domain-error';

/**
 * The one canonical JSON of Lethe: RFC 8785, the JSON Canonicalization Scheme (JCS), through the
 * `canonicalize` library. No whitespace; object members sorted by the UTF-16 code units of their
 * names; strings and numbers as ECMAScript `JSON.stringify` writes them (RFC 8785 §3.2.2). What
 * is signed (certificates, audit entries) and what is digested (request content, model metadata)
 * is this text's UTF-8 (docs/architecture.md, "Canonical JSON").
 *
 * Only I-JSON (RFC 7493) goes in: a value JCS cannot represent exactly (NaN, Infinity, undefined,
 * a bigint, a class instance such as a Date, a lone UTF-16 surrogate) is refused with
 * NOT_CANONICALIZABLE rather than silently changed, as `JSON.stringify` would do.
 */

/** A JSON value as I-JSON (RFC 7493) allows it: what RFC 8785 can canonicalise. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A value that canonical JSON cannot hold exactly; `details.path` says where (`$.a[0]`). */
export class NotCanonicalizableError extends DomainError {
  readonly code = 'NOT_CANONICALIZABLE';
  readonly kind: DomainErrorKind = 'validation';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` is well-formed UTF-16 (no lone surrogate), which RFC 8785 requires of strings. */
export const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s);

function refuse(path: string, why: string): never {
  throw new NotCanonicalizableError(`${path}: ${why}`, { path });
}

/**
 * Throws NOT_CANONICALIZABLE unless `value` is plain I-JSON: null, booleans, finite numbers,
 * well-formed Unicode strings, arrays and plain objects. `JSON.stringify` would silently drop
 * `undefined`, turn NaN into null and call `toJSON`: a signed or digested document must never
 * differ from the object its producer held.
 */
export function assertIJson(value: unknown, path = '$'): asserts value is JsonValue {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(path, `${String(value)} is not a JSON number`);
    return;
  }
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) refuse(path, 'string holds a lone UTF-16 surrogate');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertIJson(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) refuse(path, 'not a plain object');
    for (const [key, item] of Object.entries(value)) {
      if (!isWellFormedText(key)) refuse(path, 'property name holds a lone UTF-16 surrogate');
      assertIJson(item, `${path}.${key}`);
    }
    return;
  }
  refuse(path, `${typeof value} is not a JSON value`);
}

/** RFC 8785 (JCS) canonical JSON text of `value`; NOT_CANONICALIZABLE unless it is I-JSON. */
export function canonicalJson(value: unknown): string {
  assertIJson(value);
  const text = canonicalize(value);
  if (text === undefined) refuse('$', 'canonicalize returned nothing');
  return text;
}

/** The UTF-8 bytes of the RFC 8785 canonical JSON of `value`: what gets signed and hashed. */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Orders strings by UTF-16 code units (RFC 8785 §3.2.3), not by locale. */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
