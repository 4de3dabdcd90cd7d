import type { Event } from './event';

/**
 * A pure decider (emmett/Chassaing style): `decide` turns a command and the current state into new
 * events (throw a DomainError to refuse), `evolve` folds one event into the state.
 */
export interface Decider<State, Command, E extends Event> {
  decide(command: Command, state: State): readonly E[];
  evolve(state: State, event: E): State;
  initialState(): State;
}

/** Folds events into a state. */
export function foldEvents<State, E extends Event>(
  evolve: (state: State, event: E) => State,
  initial: State,
  events: readonly E[],
): State {
  let state = initial;
  for (const event of events) state = evolve(state, event);
  return state;
}
