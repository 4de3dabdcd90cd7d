import { randomUUID } from 'node:crypto';
import type { Event, NewEvent } from './domain/event';

/** Fills the metadata of events produced by a decider. */
export interface MetadataContext {
  readonly correlationId: string;
  readonly causationId: string | null;
  /** `api-key:<name>`, `kafka:<source>`, `system:<component>`. */
  readonly actor: string;
  /** Clock for `occurredAt`; default `new Date()`. */
  readonly now?: () => Date;
  /** Event ids (uuid); default `crypto.randomUUID`. */
  readonly newId?: () => string;
  /** Current schema version of each event type; default 1. */
  readonly schemaVersionOf?: (type: string) => number;
}

export function withMetadata<E extends Event>(
  events: readonly E[],
  ctx: MetadataContext,
): NewEvent<E>[] {
  const occurredAt = (ctx.now ?? (() => new Date()))().toISOString();
  const newId = ctx.newId ?? randomUUID;
  return events.map((event) => ({
    ...event,
    metadata: {
      messageId: newId(),
      correlationId: ctx.correlationId,
      causationId: ctx.causationId,
      actor: ctx.actor,
      occurredAt,
      schemaVersion: ctx.schemaVersionOf?.(event.type) ?? 1,
    },
  }));
}
