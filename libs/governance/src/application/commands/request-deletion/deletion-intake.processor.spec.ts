import type { CommandBus } from '@nestjs/cqrs';
import type { KafkaMessage } from 'kafkajs';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { CodedError, DeletionRequestId } from '@lethe/shared';
import { GovernanceError } from '../../../domain/governance.errors';
import type { DeadLetter } from '../../ports/dead-letter.port';
import { DeletionIntakeProcessor } from './deletion-intake.processor';
import type { RequestDeletionCommand } from './request-deletion.command';
import { DeletionRequestValidator } from './request-deletion.dto';
import { correlationIdOfMessage } from './message-correlation';

const event = (id: string) =>
  JSON.stringify({
    specversion: '1.0',
    id,
    source: 'urn:test',
    type: 'lethe.deletion.requested.v1',
    data: { subjectId: `user-${id}`, legalBasis: 'gdpr-art-17' },
  });

const message = (offset: number, value: string, headers?: KafkaMessage['headers']) =>
  ({
    offset: String(offset),
    key: null,
    value: Buffer.from(value),
    headers,
    timestamp: '0',
    attributes: 0,
  }) as KafkaMessage;

/** The processor over a stand-in command bus; dead letters land in `published`. */
const processorOver = (
  bus: CommandBus,
  published: DeadLetter[],
  logger?: ConstructorParameters<typeof DeletionIntakeProcessor>[4],
) =>
  new DeletionIntakeProcessor(
    new DeletionRequestValidator(64 * 1024),
    bus,
    { publish: async (letters) => void published.push(...letters) },
    { now: () => new Date('2026-01-01T00:00:00Z') },
    logger,
  );

describe('correlationIdOfMessage', () => {
  it('takes a well-formed x-correlation-id header (string or bytes), else the fallback', () => {
    expect(correlationIdOfMessage({ 'x-correlation-id': 'abc-1:2.3_x' }, 'ce')).toBe('abc-1:2.3_x');
    expect(correlationIdOfMessage({ 'x-correlation-id': Buffer.from('b-1') }, 'ce')).toBe('b-1');
    expect(correlationIdOfMessage({ 'x-correlation-id': ['first', 'second'] }, 'ce')).toBe('first');
    expect(correlationIdOfMessage({ 'x-correlation-id': 'has space' }, 'ce')).toBe('ce');
    expect(correlationIdOfMessage({ 'x-correlation-id': 'x'.repeat(129) }, 'ce')).toBe('ce');
    expect(correlationIdOfMessage({ 'x-correlation-id': '' }, 'ce')).toBe('ce');
    expect(correlationIdOfMessage(undefined, 'ce')).toBe('ce');
  });
});

describe('DeletionIntakeProcessor correlation ids', () => {
  it('gives each item its message correlation id and logs each dead letter under it', async () => {
    const commands: RequestDeletionCommand[] = [];
    const bus = {
      execute: async (c: RequestDeletionCommand) => {
        commands.push(c);
        return c.items.map((_, i) => ({
          ok: true,
          requestId: DeletionRequestId(`00000000-0000-8000-8000-00000000000${i}`),
          created: true,
        }));
      },
    } as unknown as CommandBus;
    const published: DeadLetter[] = [];
    const logged: { line: string; correlationId: string | undefined }[] = [];
    const processor = processorOver(bus, published, {
      warn: (line) => logged.push({ line, correlationId: RequestContextStore.correlationId() }),
    });
    const result = await processor.process('topic', 3, [
      message(10, event('ce-1'), { 'x-correlation-id': 'trace-1' }),
      message(11, event('ce-2')),
      message(12, '{not json', { 'x-correlation-id': 'trace-bad-json' }),
      message(13, '{not json either'),
    ]);
    expect(result).toEqual({ accepted: 2, created: 2, deadLettered: 2 });
    expect(commands).toHaveLength(1);
    expect(commands[0]?.items.map((i) => [i.event.id, i.correlationId])).toEqual([
      ['ce-1', 'trace-1'],
      ['ce-2', 'ce-2'],
    ]);
    expect(published.map((l) => l.message.offset)).toEqual(['12', '13']);
    expect(logged).toEqual([
      { line: expect.stringContaining('3/12') as string, correlationId: 'trace-bad-json' },
      { line: expect.stringContaining('3/13') as string, correlationId: 'topic:3:13' },
    ]);
    expect(JSON.stringify(logged)).not.toContain('user-');
  });
});

describe('DeletionIntakeProcessor with a failing command', () => {
  const processorFor = (error: Error) => {
    const published: DeadLetter[] = [];
    const bus = {
      execute: async () => {
        throw error;
      },
    } as unknown as CommandBus;
    const processor = processorOver(bus, published, { warn: () => undefined });
    return { processor, published };
  };

  it('dead-letters a chunk of ONE message whose command refuses it, so the partition moves on', async () => {
    const { processor, published } = processorFor(
      new GovernanceError('UNKNOWN_DATASET', 'dataset nope is not registered'),
    );
    const result = await processor.process('topic', 0, [message(7, event('ce-7'))]);
    expect(result).toEqual({ accepted: 0, created: 0, deadLettered: 1 });
    expect(published.map((l) => [l.message.offset, l.error.code])).toEqual([
      ['7', 'UNKNOWN_DATASET'],
    ]);
  });

  it('dead-letters a reused idempotency key: a conflict that no redelivery clears', async () => {
    const { processor, published } = processorFor(
      new GovernanceError('IDEMPOTENCY_KEY_REUSED', 'key reused for request r-1', {
        requestId: 'r-1',
      }),
    );
    const result = await processor.process('topic', 0, [message(9, event('ce-9'))]);
    expect(result).toEqual({ accepted: 0, created: 0, deadLettered: 1 });
    expect(published.map((l) => [l.message.offset, l.error.code])).toEqual([
      ['9', 'IDEMPOTENCY_KEY_REUSED'],
    ]);
  });

  it('rethrows a transient conflict (no commit: the chunk is redelivered, never dead-lettered)', async () => {
    const { processor, published } = processorFor(
      new CodedError('CONCURRENCY_CONFLICT', 'conflict', 'stream moved on'),
    );
    await expect(processor.process('topic', 0, [message(8, event('ce-8'))])).rejects.toThrow(
      'stream moved on',
    );
    expect(published).toEqual([]);
  });
});

describe('DeletionIntakeProcessor metrics', () => {
  const processorWith = (
    publish: (letters: readonly DeadLetter[]) => Promise<void>,
    counted: [string, string, string, number][],
  ) =>
    new DeletionIntakeProcessor(
      new DeletionRequestValidator(64 * 1024),
      {
        execute: async (c: RequestDeletionCommand) =>
          c.items.map((item) =>
            item.event.id === 'ce-reused'
              ? { ok: false, error: new GovernanceError('IDEMPOTENCY_KEY_REUSED', 'reused') }
              : {
                  ok: true,
                  requestId: DeletionRequestId('00000000-0000-8000-8000-000000000000'),
                  created: item.event.id !== 'ce-repeat',
                },
          ),
      } as unknown as CommandBus,
      { publish },
      { now: () => new Date('2026-01-01T00:00:00Z') },
      undefined,
      { countIntake: (door, outcome, code = '', n = 1) => counted.push([door, outcome, code, n]) },
    );

  it('counts accepted, duplicate and rejected-by-code once the chunk is durable', async () => {
    const counted: [string, string, string, number][] = [];
    await processorWith(async () => undefined, counted).process('t', 0, [
      message(1, event('ce-new')),
      message(2, event('ce-repeat')),
      message(3, event('ce-reused')),
      message(4, '{not json'),
    ]);
    const total = (outcome: string, code = '') =>
      counted
        .filter(([d, o, c]) => d === 'kafka' && o === outcome && c === code)
        .reduce((s, [, , , n]) => s + n, 0);
    expect(total('accepted')).toBe(1);
    expect(total('duplicate')).toBe(1);
    expect(total('rejected', 'IDEMPOTENCY_KEY_REUSED')).toBe(1);
    expect(total('rejected', 'INVALID_JSON') + total('rejected', 'SCHEMA_VIOLATION')).toBe(1);
  });

  it('counts nothing when the DLQ publish fails (the chunk is redelivered and counted then)', async () => {
    const counted: [string, string, string, number][] = [];
    const failing = processorWith(() => Promise.reject(new Error('broker down')), counted);
    await expect(failing.process('t', 0, [message(1, '{not json')])).rejects.toThrow('broker down');
    expect(counted).toEqual([]);
  });
});

describe('DeletionIntakeProcessor.processMany (the group commit of several partitions)', () => {
  it('runs ONE command for the valid messages of every chunk and answers each chunk its own counts', async () => {
    const commands: RequestDeletionCommand[] = [];
    const bus = {
      execute: async (c: RequestDeletionCommand) => {
        commands.push(c);
        // The command refuses ce-b2 (a reused key), accepts the rest; ce-a2 is a repeat.
        return c.items.map((item, i) =>
          item.event.id === 'ce-b2'
            ? { ok: false, error: new GovernanceError('IDEMPOTENCY_KEY_REUSED', 'reused') }
            : {
                ok: true,
                requestId: DeletionRequestId(`00000000-0000-8000-8000-00000000000${i}`),
                created: item.event.id !== 'ce-a2',
              },
        );
      },
    } as unknown as CommandBus;
    const published: DeadLetter[] = [];
    const processor = processorOver(bus, published);

    const results = await processor.processMany([
      {
        topic: 't',
        partition: 0,
        messages: [message(5, event('ce-a1')), message(6, event('ce-a2'))],
      },
      { topic: 't', partition: 2, messages: [message(40, '{bad'), message(41, event('ce-b2'))] },
      { topic: 't', partition: 3, messages: [message(7, event('ce-c1'))] },
    ]);

    expect(commands).toHaveLength(1);
    expect(commands[0]?.items.map((i) => i.event.id)).toEqual(['ce-a1', 'ce-a2', 'ce-b2', 'ce-c1']);
    expect(results).toEqual([
      { accepted: 2, created: 1, deadLettered: 0 },
      { accepted: 0, created: 0, deadLettered: 2 },
      { accepted: 1, created: 1, deadLettered: 0 },
    ]);
    expect(published.map((l) => [l.partition, l.message.offset, l.error.code])).toEqual([
      [2, '40', 'INVALID_JSON'],
      [2, '41', 'IDEMPOTENCY_KEY_REUSED'],
    ]);
  });
});

describe('DeletionIntakeProcessor.processRound (parallel writers, ADR 0013)', () => {
  /** Two partitions of `size` messages each (one malformed message per partition). */
  const round = (size: number) =>
    [0, 1].map((partition) => ({
      topic: 't',
      partition,
      messages: [
        ...Array.from({ length: size - 1 }, (_, i) => message(i, event(`p${partition}-${i}`))),
        message(size - 1, '{bad'),
      ],
    }));

  /** `together`: how many commands each waits for before it ends (so they overlap surely). */
  const setUp = (failPartition?: number, together = 2) => {
    const commands: RequestDeletionCommand[] = [];
    let inFlight = 0;
    let most = 0;
    const bus = {
      execute: async (c: RequestDeletionCommand) => {
        commands.push(c);
        inFlight += 1;
        most = Math.max(most, inFlight);
        c.sending?.(); // as the handler does once its transaction is open
        while (commands.length < together) await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        if (c.items.some((i) => i.event.id.startsWith(`p${failPartition}-`))) {
          throw new Error('database went away');
        }
        return c.items.map(() => ({
          ok: true,
          requestId: DeletionRequestId('00000000-0000-8000-8000-000000000001'),
          created: true,
        }));
      },
    } as unknown as CommandBus;
    const published: DeadLetter[] = [];
    const processor = processorOver(bus, published);
    return { processor, commands, published, most: () => most };
  };

  it('a large round: one command per partition, in flight together; one DLQ publish after both', async () => {
    const { processor, commands, published, most } = setUp();
    const results = await processor.processRound(round(10), { minMessages: 5, maxWriters: 4 });
    expect(commands.map((c) => c.items.length)).toEqual([9, 9]);
    expect(most()).toBe(2);
    expect(results).toEqual([
      { accepted: 9, created: 9, deadLettered: 1 },
      { accepted: 9, created: 9, deadLettered: 1 },
    ]);
    expect(published.map((l) => [l.partition, l.message.offset])).toEqual([
      [0, '9'],
      [1, '9'],
    ]);
  });

  it('a small round stays one command', async () => {
    const { processor, commands } = setUp(undefined, 1);
    await processor.processRound(round(10), { minMessages: 11, maxWriters: 4 });
    expect(commands.map((c) => c.items.length)).toEqual([18]);
  });

  it('one group failing fails the round and publishes nothing, although the other committed', async () => {
    const { processor, commands, published } = setUp(1);
    await expect(
      processor.processRound(round(10), { minMessages: 5, maxWriters: 4 }),
    ).rejects.toThrow('database went away');
    expect(commands).toHaveLength(2);
    expect(published).toEqual([]);
  });
});
