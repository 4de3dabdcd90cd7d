import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { ModelStoreError, ModelStoreErrorCode } from '../../application/ports/model-store.errors';

/** Model and certificate ids become path segments: letters, digits, `.`, `_`, `-`, ≤ 128. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^[0-9a-f]{64}$/;

const invalid = (what: string, value: unknown): ModelStoreError =>
  new ModelStoreError(ModelStoreErrorCode.INVALID_KEY, `invalid ${what}`, {
    [what]: typeof value === 'string' ? value.slice(0, 140) : value,
  });

export const checkId = (what: string, v: string): string => {
  if (typeof v !== 'string' || !ID.test(v)) throw invalid(what, v);
  return v;
};

export const checkVersion = (v: number): number => {
  if (!Number.isSafeInteger(v) || v < 1) throw invalid('version', v);
  return v;
};

export const checkDigest = (d: string): string => {
  if (typeof d !== 'string' || !DIGEST.test(d)) throw invalid('digest', d);
  return d;
};

/** `sha256/<first 2 hex>/<digest>` under the root. */
export const blobRelativePath = (digest: string): string =>
  `sha256/${digest.slice(0, 2)}/${digest}`;

/**
 * Refuses a private root that is, contains or lies inside the public root (after resolving
 * symlinks; both must exist): the private chain must never be reachable through the public store.
 */
export const assertDisjointRoots = async (publicRoot: string, privateRoot: string) => {
  const a = await realpath(publicRoot);
  const b = await realpath(privateRoot);
  const inside = (outer: string, inner: string): boolean => {
    const r = relative(outer, inner);
    return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
  };
  if (inside(a, b) || inside(b, a)) {
    throw new ModelStoreError(
      ModelStoreErrorCode.ROOTS_OVERLAP,
      'the private chain store root must be outside the public model store root (and vice versa)',
      {},
    );
  }
};
