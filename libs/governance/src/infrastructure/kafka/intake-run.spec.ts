import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type {
  IntakeChunk,
  IntakeChunkResult,
} from '../../application/commands/request-deletion/deletion-intake.processor';
import { IntakeRun } from './intake-run';

const TOPIC = 'ns.lethe.deletion-requests.v1';

/** A deferred, to hold a round's transaction open until the test settles it. */
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/**
 * An IntakeRun over stand-ins: a consumer that records offset commits and seeks (a seek makes
 * its partition's batches stale until the next fetch, as in kafkajs), and a processor whose
 * rounds each wait for a gate the test opens or fails.
 */
const harness = () => {
  const commits: string[] = [];
  const seeks: string[] = [];
  const stale = new Set<number>();
  const gates: ReturnType<typeof deferred>[] = [];
  const rounds: string[][] = [];
  const consumer = {
    commitOffsets: jest.fn(async (offsets: { partition: number; offset: string }[]) => {
      commits.push(offsets.map((o) => `p${o.partition}@${o.offset}`).join(','));
    }),
    seek: jest.fn(({ partition, offset }: { partition: number; offset: string }) => {
      seeks.push(`p${partition}@${offset}`);
      stale.add(partition);
    }),
    pause: jest.fn(),
  };
  const processor = {
    processMany: async (chunks: readonly IntakeChunk[]): Promise<IntakeChunkResult[]> => {
      const gate = deferred();
      gates.push(gate);
      rounds.push(
        chunks.map((c) => `p${c.partition}:${c.messages[0]?.offset}-${c.messages.at(-1)?.offset}`),
      );
      await gate.promise;
      return chunks.map(() => ({ accepted: 1, created: 1, deadLettered: 0 }));
    },
  };
  const run = new IntakeRun(consumer, processor, { warn: () => undefined }, TOPIC, 2);
  const resolved: string[] = [];
  const batch = (partition: number, from: number, to: number): EachBatchPayload =>
    ({
      batch: {
        topic: TOPIC,
        partition,
        messages: Array.from(
          { length: to - from + 1 },
          (_, i) => ({ offset: String(from + i), value: null, headers: {} }) as KafkaMessage,
        ),
      },
      isRunning: () => true,
      isStale: () => stale.has(partition),
      resolveOffset: (offset: string) => resolved.push(`p${partition}@${offset}`),
      heartbeat: async () => undefined,
    }) as unknown as EachBatchPayload;
  /** kafkajs' next fetch: the seeks are applied, the partitions no longer stale. */
  const nextFetch = () => stale.clear();
  return { run, commits, seeks, gates, rounds, resolved, batch, nextFetch };
};

describe('IntakeRun (the intake consumer’s overlapping rounds)', () => {
  it('returns from eachBatch once the chunk is in a started round, and commits offsets round by round in order', async () => {
    const h = harness();
    await h.run.handleBatch(h.batch(0, 0, 2)); // returns before its round is done
    expect(h.resolved).toEqual(['p0@2']);
    await turns();
    await h.run.handleBatch(h.batch(0, 3, 5)); // the next fetch, while round 1 is in flight
    await turns();
    expect(h.rounds).toEqual([['p0:0-2'], ['p0:3-5']]);
    // Two rounds in flight: a third batch is admitted but eachBatch does not return (kafkajs does
    // not fetch again) until a round makes room for it.
    let third = false;
    const thirdDone = h.run.handleBatch(h.batch(0, 6, 8)).then(() => (third = true));
    await turns();
    expect(third).toBe(false);

    h.gates[1]?.resolve(); // round 2's transaction ends first: no commit before round 1's
    await turns();
    expect(h.commits).toEqual([]);
    h.gates[0]?.resolve();
    await thirdDone;
    expect(h.rounds[2]).toEqual(['p0:6-8']);
    h.gates[2]?.resolve();
    await turns();
    expect(h.commits).toEqual(['p0@3', 'p0@6', 'p0@9']);
  });

  it('a failed round: no later round commits, each partition is rewound to its first unacknowledged message, the next batch fails', async () => {
    const h = harness();
    // kafkajs hands a fetch's batches over together: each fetch is one round.
    await Promise.all([h.run.handleBatch(h.batch(0, 0, 2)), h.run.handleBatch(h.batch(1, 0, 1))]);
    await Promise.all([h.run.handleBatch(h.batch(0, 3, 5)), h.run.handleBatch(h.batch(2, 7, 9))]);
    await turns();
    expect(h.rounds).toEqual([
      ['p0:0-2', 'p1:0-1'],
      ['p0:3-5', 'p2:7-9'],
    ]);
    h.gates[1]?.resolve(); // round 2's own transaction committed…
    h.gates[0]?.reject(new Error('database down')); // …and round 1 failed
    await turns();

    expect(h.commits).toEqual([]); // round 2 is not acknowledged either
    expect(h.seeks.sort()).toEqual(['p0@0', 'p1@0', 'p2@7']);
    // A batch fetched before the seek took effect is stale: not admitted, not resolved.
    await h.run.handleBatch(h.batch(0, 6, 8));
    expect(h.rounds).toHaveLength(2);
    // The next batch fails with the round's error (kafkajs backs off and retries), unresolved.
    h.nextFetch();
    const before = h.resolved.length;
    await expect(h.run.handleBatch(h.batch(0, 0, 2))).rejects.toThrow('database down');
    expect(h.resolved).toHaveLength(before);

    // kafkajs retries: the rewound messages go through and are committed.
    await h.run.handleBatch(h.batch(0, 0, 5));
    await turns();
    h.gates[2]?.resolve();
    await turns();
    expect(h.rounds[2]).toEqual(['p0:0-5']);
    expect(h.commits).toEqual(['p0@6']);
  });

  it('close() stops admitting and waits for the rounds in flight to commit', async () => {
    const h = harness();
    await h.run.handleBatch(h.batch(0, 0, 2));
    await turns();
    let closed = false;
    const closing = h.run.close().then(() => (closed = true));
    await h.run.handleBatch(h.batch(0, 3, 5)); // not admitted while closing
    await turns();
    expect(closed).toBe(false);
    h.gates[0]?.resolve();
    await closing;
    expect(h.rounds).toEqual([['p0:0-2']]);
    expect(h.commits).toEqual(['p0@3']);
  });
});
