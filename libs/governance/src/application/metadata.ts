import type { MetadataContext } from '@lethe/event-store';
import type { Clock } from './ports/clock.port';

/** Metadata for events a command appends (correlation from the caller, time from the clock). */
export const metadataFor = (
  clock: Clock,
  correlationId: string,
  actor: string,
  causationId: string | null = null,
): MetadataContext => ({ correlationId, causationId, actor, now: () => clock.now() });
