import { DomainError } from './domain-error';
import { fold, type Decider } from './decider';

type Added = { type: 'Added'; data: { n: number } };
type Add = { add: number };
class OverLimit extends DomainError {
  readonly code = 'OVER_LIMIT';
  readonly kind = 'conflict' as const;
}

const counter: Decider<Add, Added, { total: number }> = {
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n }),
  decide: (c, s) => {
    if (s.total + c.add > 10) throw new OverLimit('over the limit');
    return [{ type: 'Added', data: { n: c.add } }];
  },
};

describe('Decider', () => {
  it('fold: left from the initial state', () => {
    const events: Added[] = [1, 2, 3].map((n) => ({ type: 'Added', data: { n } }));
    expect(fold(counter, events)).toEqual({ total: 6 });
    expect(fold(counter, [])).toEqual({ total: 0 });
  });

  it('given events, when a command, then events (or a coded refusal)', () => {
    const history: Added[] = [{ type: 'Added', data: { n: 8 } }];
    const given = fold(counter, history);
    expect(counter.decide({ add: 2 }, given)).toEqual([{ type: 'Added', data: { n: 2 } }]);
    expect(() => counter.decide({ add: 3 }, given)).toThrow(
      expect.objectContaining({ code: 'OVER_LIMIT' }),
    );
  });
});
