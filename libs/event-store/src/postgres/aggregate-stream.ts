import type { Event, RecordedEvent } from '../domain/event';
import type { UpcasterRegistry } from '../domain/upcasting';
import { readStream } from './read-stream';
import type { Queryable } from './queryable';

export interface AggregateStreamResult<State> {
  readonly state: State;
  readonly currentVersion: number;
  readonly streamExists: boolean;
}

/** Reads a whole stream and folds it with `evolve`, starting from `initial()`. */
export async function aggregateStream<State, E extends Event>(
  db: Queryable,
  streamId: string,
  evolve: (state: State, event: RecordedEvent<E>) => State,
  initial: () => State,
  options: { upcasters?: UpcasterRegistry } = {},
): Promise<AggregateStreamResult<State>> {
  const { events, currentVersion, streamExists } = await readStream<E>(db, streamId, options);
  let state = initial();
  for (const event of events) state = evolve(state, event);
  return { state, currentVersion, streamExists };
}
