import { randomUUID } from 'node:crypto';
import { actorName, type AuthenticatedRequest } from '@lethe/shared/infrastructure/http';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';

/** `api-key:<name>` or `oidc:<sub>` of the caller (set by the global AuthGuard), or `anonymous`. */
export const actorOf = (req: AuthenticatedRequest): string => actorName(req.principal);

/** The request's correlation id (set by the app's correlation middleware), or a fresh one. */
export const correlationIdOf = (): string => RequestContextStore.correlationId() ?? randomUUID();
