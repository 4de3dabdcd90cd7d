import type { EntityManager } from 'typeorm';
import type { Event, RecordedEvent } from '../domain/event';

/**
 * A read model fed from the global log. `handle` gets a batch in the safe global order and writes
 * through `manager`, in the same transaction as the checkpoint: its effect happens exactly once.
 */
export interface Projection<E extends Event = Event> {
  /** Unique, stable: the checkpoint row is keyed by it. */
  readonly name: string;
  /** Only these event types reach `handle`; default all. */
  readonly eventTypes?: readonly string[];
  handle(events: readonly RecordedEvent<E>[], manager: EntityManager): Promise<void>;
  /** Empties the read model (TRUNCATE/DELETE), for `rebuild`. */
  reset?(manager: EntityManager): Promise<void>;
}
