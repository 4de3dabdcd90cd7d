import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DeletionRequestId, SubjectRef } from '@lethe/shared';
import { appendToNewStreams, encodeOutboxValue, type NewEvent } from '@lethe/event-store';
import { GovernanceProjections } from '../src';
import {
  governanceEventMessage,
  governanceEventOutboxSql,
} from '../src/application/messages/governance-cloud-event';
import { DELETION_REQUEST_FIRST_ROWS_SQL } from '../src/application/projections/deletion-requests.projection';
import type { DeletionRequested } from '../src/domain/deletion-request/deletion-request.events';
import { streams } from '../src/domain/shared/stream-names';
import { deletionRequested } from '../src/testing/deletion-request.factory';
import { bearer, deletionEvent, KEYS, startGovernance, type GovernanceTestApp } from './harness';

jest.setTimeout(120_000);

/** Strings JSON.stringify and PostgreSQL must escape alike: quotes, backslash, controls, non-ASCII. */
const AWKWARD = 'a"b\\c\u0001\u001f\n\t\u007f é ✓ 😀 \u2028 </script>';

/** A DeletionRequested of a new stream, with `over` on its data and metadata. */
const requestedEvent = (
  n: number,
  data: Partial<DeletionRequested['data']> = {},
  metadata: Partial<NewEvent['metadata']> = {},
): NewEvent<DeletionRequested> => {
  const base = deletionRequested();
  const requestId = DeletionRequestId(randomUUID());
  return {
    ...base,
    data: { ...base.data, requestId, sourceEventId: `evt-${n}`, ...data },
    metadata: {
      messageId: randomUUID(),
      correlationId: `corr-${n}`,
      causationId: `evt-${n}`,
      actor: 'kafka:urn:lethe:app:crm',
      occurredAt: `2026-11-30T05:00:0${n % 10}.123Z`,
      schemaVersion: 1,
      ...metadata,
    },
  };
};

/**
 * Intake's append is one statement that builds each new request's outbox CloudEvent and read-model
 * row in SQL from the events parameter (ADR 0013). On real Postgres: the outbox value is byte for
 * byte what `governanceEventMessage` + `encodeOutboxValue` give (what the relay published when
 * Node built it), and the read-model rows are those the projection's fold writes (a rebuild from
 * the events leaves them identical).
 */
describe('intake append in one statement (real Postgres)', () => {
  let t: GovernanceTestApp;
  const http = () => request(t.app.getHttpServer());
  const builtInSql = { outbox: governanceEventOutboxSql, also: [DELETION_REQUEST_FIRST_ROWS_SQL] };

  beforeAll(async () => {
    t = await startGovernance({ withKafka: false, run: { projections: false, scheduler: false } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes the outbox CloudEvent of each created event byte for byte as Node would', async () => {
    const events = [
      requestedEvent(1),
      requestedEvent(2, { source: AWKWARD, sourceEventId: AWKWARD, legalBasis: AWKWARD }),
      requestedEvent(3, { scope: { datasetIds: ['ds-1', AWKWARD], recordIds: null } }, {}),
      requestedEvent(4, { scope: { datasetIds: null, recordIds: ['r"1'] } }, {}),
      requestedEvent(5, { contentDigest: undefined }, { causationId: null }),
      requestedEvent(6, {}, { correlationId: AWKWARD, causationId: AWKWARD }),
    ];
    const batch = events.map((e) => ({
      streamId: streams.deletionRequest(e.data.requestId).streamId,
      events: [e],
    }));
    const before = await t.dataSource.query<{ max: string | null }[]>(
      'SELECT max(id)::text AS max FROM outbox',
    );
    const { created } = await t.dataSource.transaction((m) =>
      appendToNewStreams(m, batch, builtInSql),
    );
    expect([...created]).toEqual(batch.map((s) => s.streamId));
    const rows = await t.dataSource.query<
      { topic: string; key: string; value: Buffer; headers: Record<string, string> }[]
    >('SELECT topic, key, value, headers FROM outbox WHERE id > $1 ORDER BY id', [
      before[0]?.max ?? '0',
    ]);
    expect(rows).toHaveLength(events.length);
    events.forEach((e, i) => {
      const expected = governanceEventMessage(e, streams.deletionRequest(e.data.requestId), 1);
      const row = rows[i];
      expect(row?.topic).toBe(expected.topic);
      expect(row?.key).toBe(expected.key);
      expect(row?.headers).toEqual(expected.headers);
      // Bytes, not parsed JSON: the relay publishes the stored bytes as they are.
      expect(row?.value.toString('utf8')).toBe(encodeOutboxValue(expected.value)?.toString('utf8'));
      expect(row?.value.equals(encodeOutboxValue(expected.value) ?? Buffer.alloc(0))).toBe(true);
    });

    // The same streams again: none is created, and nothing is written.
    const again = await t.dataSource.transaction((m) => appendToNewStreams(m, batch, builtInSql));
    expect(again.created.size).toBe(0);
    const [n] = await t.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM outbox WHERE id > $1',
      [before[0]?.max ?? '0'],
    );
    expect(n?.n).toBe(events.length);
  });

  it('writes the read-model rows the projection writes (a rebuild leaves them identical)', async () => {
    await http()
      .post('/v1/datasets')
      .set(bearer(KEYS.admin))
      .send({ datasetId: 'ds-a', name: 'a' });
    for (const [id, extra] of [
      ['one-1', {}],
      ['one-2', { scope: { datasetIds: ['ds-a'] } }],
      ['one-3', { scope: { recordIds: ['r-1', 'r-2'] }, deadline: '2026-12-01T00:00:00Z' }],
      ['one-4', { legalBasis: 'ccpa-1798.105' }],
    ] as const) {
      await http()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(deletionEvent(id, `subject-${id}`, extra))
        .expect(202);
    }
    const snapshot = () =>
      t.dataSource.query('SELECT * FROM gov_deletion_requests_view ORDER BY request_id');
    const inline = await snapshot();
    // Six from the first test, four from HTTP.
    expect(inline).toHaveLength(10);
    expect(inline.map((r: { subject_ref: string }) => r.subject_ref)).toContain(
      SubjectRef('ref-abc'),
    );
    await t.app.get(GovernanceProjections).runner.rebuild('governance.deletion-requests');
    expect(await snapshot()).toEqual(inline);
  });
});
