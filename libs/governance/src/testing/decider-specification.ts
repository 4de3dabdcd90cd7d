import type { Decider } from '../domain/shared/decider';

/**
 * Given/When/Then over a pure decider: given past events, when a command, then the new events
 * (or the error code). No mocks: events in, events out.
 */
export const deciderSpec = <C, E, S>(decider: Decider<C, E, S>) => ({
  given: (events: readonly E[]) => ({
    when: (command: C) => {
      const run = () => {
        const state = events.reduce(decider.evolve, decider.initialState());
        return decider.decide(command, state);
      };
      return {
        then: (expected: readonly E[]) => expect(run()).toEqual(expected),
        thenNothing: () => expect(run()).toEqual([]),
        /** The decider refuses with `code` (and, if given, at least these `details`). */
        thenThrows: (code: string, details?: Record<string, unknown>) => {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toMatchObject(details ? { code, details } : { code });
        },
        events: run,
      };
    },
  }),
});
