import { foldEvents, type Decider } from './decider';

type Counter = { total: number };
type Added = { type: 'Added'; data: { n: number } };

const decider: Decider<Counter, { add: number }, Added> = {
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n }),
  decide: (c, s) => {
    if (s.total + c.add > 10) throw new Error('over');
    return [{ type: 'Added', data: { n: c.add } }];
  },
};

describe('foldEvents', () => {
  it('folds left from the initial state', () => {
    const events: Added[] = [1, 2, 3].map((n) => ({ type: 'Added', data: { n } }));
    expect(foldEvents(decider.evolve, decider.initialState(), events)).toEqual({ total: 6 });
    expect(foldEvents(decider.evolve, decider.initialState(), [])).toEqual({ total: 0 });
  });
});
