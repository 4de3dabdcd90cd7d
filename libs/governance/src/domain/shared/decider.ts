/**
 * A decider (Chassaing): pure functions over discriminated unions. `decide` turns a command and
 * the current state into new events (or throws a DomainError when an invariant is broken);
 * `evolve` folds one event into the state. No I/O, no clock: time comes in on the command.
 */
export interface Decider<Command, Event, State> {
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

/** A domain event as the deciders see it: a type tag and a payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** Folds a list of events from the initial state. */
export const fold = <C, E, S>(decider: Decider<C, E, S>, events: readonly E[]): S =>
  events.reduce(decider.evolve, decider.initialState());

/** Exhaustiveness guard for switches over discriminated unions. */
export const assertNever = (value: never): never => {
  throw new Error(`unexpected variant: ${JSON.stringify(value)}`);
};
