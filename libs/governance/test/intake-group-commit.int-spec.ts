import { CommandBus } from '@nestjs/cqrs';
import { Topics } from '@lethe/shared';
import { RequestDeletionCommand } from '../src/application/commands/request-deletion/request-deletion.command';
import { DeletionRequestValidator } from '../src/application/commands/request-deletion/request-deletion.dto';
import { DeletionIntakeProcessor } from '../src/application/commands/request-deletion/deletion-intake.processor';
import { DeletionRequestsKafkaConsumer } from '../src/infrastructure/kafka/deletion-requests.kafka-consumer';
import {
  count,
  deletionEvent,
  eventually,
  startGovernance,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(180_000);

/**
 * The intake's group commit (ADR 0013) on the real broker and server: with `intakeConcurrency`
 * ≥ the partitions, the batches of one fetch share one transaction and one offset commit; with
 * 1, each partition's batch has its own. Either way every event is exactly one request (a
 * repeat on the other partition included) and every offset is committed, a malformed message's
 * too (it does not block its partition).
 */
describe('intake group commit (real Kafka + Postgres, 2 partitions)', () => {
  const PER_PARTITION = 300;

  /** Publishes with the consumer stopped, so its first fetch finds both partitions full. */
  const run = async (t: GovernanceTestApp, tag: string) => {
    const consumer = t.app.get(DeletionRequestsKafkaConsumer);
    await consumer.stop();
    const partitionOf = new Map<string, number>();
    const messages = [0, 1].flatMap((partition) =>
      Array.from({ length: PER_PARTITION }, (_, i) => {
        const id = `${tag}-${partition}-${i}`;
        partitionOf.set(id, partition);
        return { partition, key: id, value: JSON.stringify(deletionEvent(id, `user-${id}`)) };
      }),
    );
    // One malformed message and one repeat (the same event on the other partition) as well.
    messages.push({ partition: 1, key: 'bad', value: '{not json' });
    const repeat = messages[0];
    if (repeat) {
      messages.push({ ...repeat, partition: 1 });
      // Its request is made by whichever partition's batch comes first (the order of partitions
      // is not fixed), so it says nothing about which partitions share a transaction.
      partitionOf.delete(repeat.key);
    }
    const producer = t.kafka.producer();
    await producer.connect();
    await producer.send({ topic: t.topic(Topics.deletionRequests), acks: -1, messages });
    await producer.disconnect();
    await consumer.start();

    const admin = t.kafka.admin();
    await admin.connect();
    const committed = async () => {
      const [o] = await admin.fetchOffsets({
        groupId: `${t.namespace}lethe-governance-intake`,
        topics: [t.topic(Topics.deletionRequests)],
      });
      return (o?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    await eventually(committed, (n) => n >= messages.length, 120_000);
    await admin.disconnect();

    const requests = await count(
      t.dataSource,
      `SELECT count(*) n FROM events WHERE type = 'DeletionRequested'`,
    );
    // Transactions that hold requests of BOTH partitions: only a group commit makes those.
    const rows = await t.dataSource.query<{ tx: string; id: string }[]>(
      `SELECT transaction_id::text AS tx, data->>'sourceEventId' AS id
         FROM events WHERE type = 'DeletionRequested'`,
    );
    const partitionsOfTx = new Map<string, Set<number>>();
    for (const r of rows) {
      const p = partitionOf.get(r.id);
      if (p === undefined) continue;
      const set = partitionsOfTx.get(r.tx) ?? new Set<number>();
      set.add(p);
      partitionsOfTx.set(r.tx, set);
    }
    const mixed = [...partitionsOfTx.values()].filter((s) => s.size > 1).length;
    return { requests, mixed, transactions: partitionsOfTx.size };
  };

  it('intakeConcurrency 4: both partitions of a fetch in one transaction; each event once, every offset committed', async () => {
    const t = await startGovernance({
      intakeConcurrency: 4,
      run: { scheduler: false, outboxRelay: false, projections: false },
    });
    try {
      const r = await run(t, 'gc4');
      expect(r.requests).toBe(2 * PER_PARTITION);
      expect(r.mixed).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('a large round: one transaction per partition, in flight together; the cross-partition repeat still makes one request', async () => {
    const t = await startGovernance({
      intakeConcurrency: 4,
      // 601 messages in the first round ≥ 2 × 100: written by two transactions at once.
      intakeWriterMinMessages: 100,
      run: { scheduler: false, outboxRelay: false, projections: false },
    });
    const rounds = jest.spyOn(DeletionIntakeProcessor.prototype, 'processRound');
    const writes = jest.spyOn(DeletionIntakeProcessor.prototype, 'write');
    try {
      const r = await run(t, 'gcw');
      expect(r.requests).toBe(2 * PER_PARTITION);
      expect(r.mixed).toBe(0);
      // Some round held both partitions and was written by two transactions (two `write`s
      // between it and the next round), not two rounds of one partition each.
      const roundOrder = rounds.mock.invocationCallOrder;
      const split = rounds.mock.calls.filter(([chunks], i) => {
        const from = roundOrder[i] ?? 0;
        const to = roundOrder[i + 1] ?? Number.MAX_SAFE_INTEGER;
        const inRound = writes.mock.invocationCallOrder.filter((o) => o > from && o < to);
        return new Set(chunks.map((c) => c.partition)).size === 2 && inRound.length === 2;
      });
      expect(split.length).toBeGreaterThan(0);
      // The repeat was taken in by whichever transaction lost the race for its stream: one
      // request, one stream, one event.
      const streams = await count(t.dataSource, 'SELECT count(*) n FROM streams');
      expect(streams).toBe(2 * PER_PARTITION);
    } finally {
      rounds.mockRestore();
      writes.mockRestore();
      await t.close();
    }
  });

  it('intakeConcurrency 1 (the control): one partition per transaction, same outcome', async () => {
    const t = await startGovernance({
      intakeConcurrency: 1,
      run: { scheduler: false, outboxRelay: false, projections: false },
    });
    try {
      const r = await run(t, 'gc1');
      expect(r.requests).toBe(2 * PER_PARTITION);
      expect(r.mixed).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('the handler says when its transaction is about to write (what the next writer waits for)', async () => {
    const t = await startGovernance({
      withKafka: false,
      run: { intakeConsumer: false, scheduler: false, outboxRelay: false, projections: false },
    });
    try {
      const bus = t.app.get(CommandBus);
      const validator = new DeletionRequestValidator(64 * 1024);
      const item = (id: string) => {
        const parsed = validator.fromBytes(
          Buffer.from(JSON.stringify(deletionEvent(id, `u-${id}`))),
        );
        if (!parsed.ok) throw new Error(parsed.error.message);
        return { event: parsed.value, receivedAt: new Date(), correlationId: id };
      };
      let calls = 0;
      const sending = () => void (calls += 1);
      const first = await bus.execute(
        new RequestDeletionCommand([item('s-1'), item('s-2')], 'kafka', 'kafka', '', sending),
      );
      expect(first.map((o) => o.ok)).toEqual([true, true]);
      expect(calls).toBe(1);
      // Nothing new to append (a pure repeat): still one transaction, so one more call.
      await bus.execute(new RequestDeletionCommand([item('s-1')], 'kafka', 'kafka', '', sending));
      expect(calls).toBe(2);
    } finally {
      await t.close();
    }
  });
});
