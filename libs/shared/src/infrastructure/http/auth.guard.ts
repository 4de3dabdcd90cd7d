import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CodedError } from '../../domain/domain-error';
import { ApiKeyRegistry, type ApiKeyPrincipal } from './api-keys';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles';

export type AuthenticatedRequest = Request & { principal?: ApiKeyPrincipal };

/**
 * Global guard, deny by default: a route must say @Public() or @Roles(...); a caller presents
 * `Authorization: Bearer <api key>` whose roles must meet the route's (`admin` meets every role).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!required || required.length === 0) {
      throw new CodedError('ROUTE_NOT_EXPOSED', 'forbidden', 'this route admits no role');
    }
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new CodedError('UNAUTHENTICATED', 'unauthenticated', 'missing bearer token');
    }
    const principal = this.keys.authenticate(match[1]);
    if (!principal)
      throw new CodedError('UNAUTHENTICATED', 'unauthenticated', 'unknown bearer token');
    req.principal = principal;
    if (principal.roles.includes('admin') || principal.roles.some((r) => required.includes(r)))
      return true;
    throw new CodedError(
      'FORBIDDEN',
      'forbidden',
      `requires one of the roles: ${required.join(', ')}`,
    );
  }
}
