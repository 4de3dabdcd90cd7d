import { CodedError } from '../../domain/domain-error';
import type { Role } from './roles';

/**
 * Who called: a machine presenting an API key, or a person presenting an OIDC bearer JWT
 * (docs/adr/0015-authorisation.md). Set on the request by the global AuthGuard.
 */
export interface Principal {
  readonly kind: 'api-key' | 'oidc';
  /** The key's name, or the token's `sub`. */
  readonly name: string;
  readonly roles: readonly Role[];
  /**
   * The CloudEvent `source`s this principal may publish and read as a publisher; undefined: not
   * bound (any source, the legacy key syntax), in which case a publisher only gets receipts.
   */
  readonly sources?: readonly string[];
}

/** `api-key:<name>` or `oidc:<sub>`: how the caller is named in events and logs. */
export const actorName = (p: Principal | undefined): string =>
  p ? `${p.kind}:${p.name}` : 'anonymous';

/** Compliance and admin see every request; a publisher alone sees only its own (bound) sources. */
export const seesEverySource = (p: Principal | undefined): boolean =>
  !!p && (p.roles.includes('compliance') || p.roles.includes('admin'));

/**
 * Refuses a principal bound to sources acting for another one: 403 SOURCE_NOT_ALLOWED. A
 * principal without a binding passes (keys in the legacy syntax are not bound).
 */
export function assertSourceAllowed(p: Principal | undefined, source: string): void {
  if (p?.sources && !p.sources.includes(source)) {
    throw new CodedError(
      'SOURCE_NOT_ALLOWED',
      'forbidden',
      'this credential may not act for the CloudEvent source of this request',
      { allowedSources: p.sources },
    );
  }
}
