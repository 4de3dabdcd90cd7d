/**
 * A decider (Chassaing's `Decider<'c, 'e, 's>`): pure functions over discriminated unions.
 * `decide` turns a command and the current state into new events (or throws a DomainError when
 * an invariant is broken); `evolve` folds one event into the state. No I/O, no clock: time comes
 * in on the command. The one decider type of the code base: the governance aggregates implement
 * it and the event store's write path (`@lethe/event-store` `handleCommand`,
 * `runEventStoreTransaction`) runs it.
 */
export interface Decider<Command, Event, State> {
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

/** Folds a list of events from the decider's initial state. */
export const fold = <C, E, S>(decider: Decider<C, E, S>, events: readonly E[]): S =>
  events.reduce(decider.evolve, decider.initialState());
