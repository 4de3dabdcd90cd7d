import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/** Roles of docs/contracts.md §4. */
export const ROLES = ['publisher', 'compliance', 'auditor', 'ml-admin', 'ops', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'lethe:roles';
export const PUBLIC_KEY = 'lethe:public';

/** The roles a route admits. A route without @Roles or @Public is denied to everyone. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension('x-lethe-roles', roles));
/** Open route (only `GET /health` and public key material should use it). */
export const Public = () =>
  applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension('x-lethe-public', true));
