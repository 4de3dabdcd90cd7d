import canonicalize from 'canonicalize';
import { AuditError, AuditErrorCode } from '../audit.errors';

/** A JSON value as I-JSON (RFC 7493) allows it: what RFC 8785 can canonicalise. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refuse(path: string, why: string): never {
  throw new AuditError(AuditErrorCode.NOT_CANONICALIZABLE, `${path}: ${why}`, { path });
}

/**
 * Throws NOT_CANONICALIZABLE unless `value` is plain I-JSON: null, booleans, finite numbers,
 * well-formed Unicode strings, arrays and plain objects. `JSON.stringify` would silently drop
 * `undefined`, turn NaN into null and call `toJSON` — a signed document must never differ from the
 * object its producer held.
 */
export function assertIJson(value: unknown, path = '$'): asserts value is JsonValue {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(path, `${String(value)} is not a JSON number`);
    return;
  }
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) refuse(path, 'string holds a lone UTF-16 surrogate');
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
      if (LONE_SURROGATE.test(key)) refuse(path, 'property name holds a lone UTF-16 surrogate');
      assertIJson(item, `${path}.${key}`);
    }
    return;
  }
  refuse(path, `${typeof value} is not a JSON value`);
}

/** RFC 8785 (JCS) canonical JSON text of `value`, via the `canonicalize` library. */
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
