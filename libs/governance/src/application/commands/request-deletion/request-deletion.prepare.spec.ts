import { HmacSubjectPseudonymizer } from '../../../infrastructure/crypto/hmac-subject-pseudonymizer';
import {
  ReferenceHmacSubjectPseudonymizer,
  referencePrepare,
} from '../../../testing/request-deletion.reference';
import {
  KNOWN_DATASETS,
  benchIntakeItems,
  seededIntakeItems,
} from '../../../testing/intake-item.factory';
import { RequestDeletionCommand } from './request-deletion.command';
import { prepareRequests } from './request-deletion.prepare';

const KEY = 'k'.repeat(16) + 'ü'.repeat(8) + 'key';

/** A clock that steps 1 ms per call: both paths must call it equally often, in the same places. */
const steppingClock = () => {
  let t = Date.parse('2026-11-26T12:00:01.000Z');
  return () => new Date(t++);
};

/** Everything the transaction uses, as text: member order included (the JSON is stored). */
const asText = (p: {
  outcomes: readonly unknown[];
  candidates: readonly unknown[];
  toAppend: ReadonlyMap<string, unknown>;
}) => ({
  outcomes: p.outcomes.map((o) =>
    JSON.stringify(o, (_, v: unknown) =>
      v instanceof Error ? { ...v, name: v.name, message: v.message } : v,
    ),
  ),
  candidates: p.candidates.map((c) => JSON.stringify(c)),
  streams: [...p.toAppend.entries()].map(([k, s]) => `${k} ${JSON.stringify(s)}`),
});

describe('prepareRequests (the intake before its transaction) against the previous derivation', () => {
  const fast = new HmacSubjectPseudonymizer(KEY);
  const reference = new ReferenceHmacSubjectPseudonymizer(KEY);

  it.each([
    ['kafka', 1],
    ['kafka', 2],
    ['http', 3],
    ['kafka', 4],
  ] as const)(
    '%s, seed %i: the same ids, HMACs, digests, events and outcomes, byte for byte',
    (channel, seed) => {
      const items = seededIntakeItems(seed, 2500);
      const command = new RequestDeletionCommand(items, channel, `${channel}:actor`, 'corr-cmd');
      const want = referencePrepare(
        command,
        KNOWN_DATASETS,
        (s) => reference.refOf(s),
        steppingClock(),
      );
      const got = prepareRequests(command, KNOWN_DATASETS, fast, steppingClock());
      expect(asText(got)).toEqual(asText(want));
      // The seeds reach every branch: refusals of both kinds, repeats, scopes, new streams.
      const codes = new Set(want.outcomes.flatMap((o) => (o.ok ? [] : [o.error.code])));
      expect(codes).toEqual(new Set(['UNKNOWN_DATASET', 'DEADLINE_REQUIRED']));
      expect(want.candidates.length).toBeGreaterThan(want.toAppend.size);
      const texts = [...want.toAppend.values()].map((s) => JSON.stringify(s.events[0]?.data));
      expect(texts.some((t) => t.includes('"scope":{'))).toBe(true);
      expect(texts.some((t) => t.includes('"deadlineBasis":"event"'))).toBe(true);
      expect(texts.some((t) => t.includes('"deadlineBasis":"ccpa"'))).toBe(true);
    },
  );

  it('items with their own receipt instants (HTTP requests gathered in one command)', () => {
    const items = seededIntakeItems(5, 500).map((item, i) => ({
      ...item,
      receivedAt: new Date(Date.parse('2026-11-26T12:00:00Z') + i * 997),
    }));
    const command = new RequestDeletionCommand(items, 'kafka', 'kafka', '');
    expect(asText(prepareRequests(command, KNOWN_DATASETS, fast, steppingClock()))).toEqual(
      asText(referencePrepare(command, KNOWN_DATASETS, (s) => reference.refOf(s), steppingClock())),
    );
  });

  it("the bench's shape", () => {
    const command = new RequestDeletionCommand(benchIntakeItems(2000), 'kafka', 'kafka', '');
    const got = prepareRequests(command, new Set(), fast, steppingClock());
    expect(got.toAppend.size).toBe(2000);
    expect(asText(got)).toEqual(
      asText(referencePrepare(command, new Set(), (s) => reference.refOf(s), steppingClock())),
    );
  });

  it('a change the comparison must see: another key gives other subject refs', () => {
    const command = new RequestDeletionCommand(benchIntakeItems(10), 'kafka', 'kafka', '');
    const other = new HmacSubjectPseudonymizer(`${KEY}!`);
    expect(asText(prepareRequests(command, new Set(), other, steppingClock()))).not.toEqual(
      asText(referencePrepare(command, new Set(), (s) => reference.refOf(s), steppingClock())),
    );
  });
});
