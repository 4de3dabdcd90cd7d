import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Optional,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CodedError } from '../../domain/domain-error';
import { ApiKeyRegistry } from './api-keys';
import { OidcVerifier } from './oidc';
import type { Principal } from './principal';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The OIDC verifier, when people sign in (LETHE_OIDC_ISSUER); absent: API keys only. */
export const OIDC_VERIFIER = Symbol('OidcVerifier');

/**
 * Global guard, deny by default, the one place the role table is enforced
 * (docs/adr/0015-authorisation.md): a route must say @Public() or @Roles(...); a caller presents
 * `Authorization: Bearer <token>`, either an API key (machines) or, when OIDC is configured, a JWT
 * from the issuer (people). The principal's roles must meet the route's (`admin` meets every role).
 *
 * Codes: UNAUTHENTICATED (no or unknown token), TOKEN_EXPIRED, TOKEN_INVALID (forged, wrong issuer
 * or audience, disallowed algorithm): 401; FORBIDDEN, ROUTE_NOT_EXPOSED: 403;
 * IDENTITY_PROVIDER_UNAVAILABLE: 503.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRegistry,
    @Optional() @Inject(OIDC_VERIFIER) private readonly oidc?: OidcVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!required || required.length === 0) {
      throw new CodedError('ROUTE_NOT_EXPOSED', 'forbidden', 'this route admits no role');
    }
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(req.headers.authorization ?? '');
    req.principal = principal;
    if (admits(principal, required)) return true;
    throw new CodedError(
      'FORBIDDEN',
      'forbidden',
      `requires one of the roles: ${required.join(', ')}`,
    );
  }

  /** API keys first (constant time per key); then, for a JWT-shaped token, the OIDC issuer. */
  private async authenticate(header: string): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    if (!token) throw new CodedError('UNAUTHENTICATED', 'unauthenticated', 'missing bearer token');
    const byKey = this.keys.authenticate(token);
    if (byKey) return byKey;
    if (this.oidc && OidcVerifier.looksLikeJwt(token)) return this.oidc.verify(token);
    throw new CodedError('UNAUTHENTICATED', 'unauthenticated', 'unknown bearer token');
  }
}

/** The role table's rule: one of the route's roles, or `admin`. */
export const admits = (principal: Principal, required: readonly Role[]): boolean =>
  principal.roles.includes('admin') || principal.roles.some((r) => required.includes(r));
