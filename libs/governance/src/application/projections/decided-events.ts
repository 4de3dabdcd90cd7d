import type { Event, NewEvent } from '@lethe/event-store';
import type { GovernanceTransaction } from '../unit-of-work/governance-transaction';
import type { FoldableEvent } from './state-view.projection';

/**
 * The events one `tx.decide` just appended to `streamId`, with their metadata and stream
 * versions, as an inline view write folds them (`StateView.writeNewStreams`, `writeDecided`).
 * Call it right after that `decide`: they are the last `decided.events.length` appended.
 */
export const decidedEvents = <E extends Event>(
  tx: GovernanceTransaction,
  streamId: string,
  decided: { readonly events: readonly E[]; readonly version: number },
): FoldableEvent<E>[] => {
  const n = decided.events.length;
  return tx.appended.slice(tx.appended.length - n).map((e, i) => ({
    ...(e as NewEvent<E>),
    streamId,
    streamVersion: decided.version - n + i + 1,
  }));
};
