import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DeletionRequestId, SubjectRef } from '@lethe/shared';
import {
  appendToNewStreams,
  encodeOutboxValue,
  OUTBOX_EVENT_RELATION,
  type NewEvent,
} from '@lethe/event-store';
import { GovernanceProjections } from '../src';
import {
  GOVERNANCE_EVENT_VALUE_SQL,
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
 * Intake's append is one statement that writes each new request's outbox row and read-model row in
 * SQL from the events parameter (ADR 0013). On real Postgres: the outbox row names its event and
 * holds no value; the value the relay builds from that event (its read: OUTBOX_EVENT_RELATION and
 * GOVERNANCE_EVENT_VALUE_SQL) is, as JSON, what `governanceEventMessage` + `encodeOutboxValue` give
 * (members in the same order; `data`'s text is the stored jsonb's), and the read-model rows are
 * those the projection's fold writes (a rebuild from the events leaves them identical).
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

  it("writes each created event's outbox row naming the event; the relay builds Node's CloudEvent from it", async () => {
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
      {
        topic: string;
        key: string;
        value: Buffer | null;
        headers: Record<string, string>;
        event_id: string;
        built: Buffer;
      }[]
    >(
      `SELECT outbox.topic, outbox.key, outbox.value, outbox.headers,
              ev.event_id::text AS event_id, convert_to(${GOVERNANCE_EVENT_VALUE_SQL}, 'UTF8') AS built
         FROM outbox ${OUTBOX_EVENT_RELATION}
         JOIN events ev ON ev.global_position = outbox.event_position
        WHERE outbox.id > $1 ORDER BY outbox.id`,
      [before[0]?.max ?? '0'],
    );
    expect(rows).toHaveLength(events.length);
    events.forEach((e, i) => {
      const expected = governanceEventMessage(e, streams.deletionRequest(e.data.requestId), 1);
      const row = rows[i];
      expect(row?.topic).toBe(expected.topic);
      expect(row?.key).toBe(expected.key);
      expect(row?.headers).toEqual(expected.headers);
      expect(row?.value).toBeNull(); // the row names its event (not a tombstone: see the relay)
      expect(row?.event_id).toBe(e.metadata.messageId);
      const node = encodeOutboxValue(expected.value)?.toString('utf8') ?? '';
      const built = row?.built.toString('utf8') ?? '';
      // The same JSON value, members in the same order; only `data`'s text may differ (jsonb's).
      expect(JSON.parse(built)).toEqual(JSON.parse(node));
      expect(Object.keys(JSON.parse(built) as object)).toEqual(
        Object.keys(JSON.parse(node) as object),
      );
      expect(built.slice(0, built.indexOf(',"data":'))).toBe(
        node.slice(0, node.indexOf(',"data":')),
      );
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
