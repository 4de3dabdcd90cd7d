import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DeletionRequestId, SubjectId } from '@lethe/shared';
import { appendToStream, type NewEvent } from '@lethe/event-store';
import { GovernanceProjections } from '../src';
import { requestIdFor } from '../src/application/ids';
import type { DeletionRequested } from '../src/domain/deletion-request/deletion-request.events';
import { streams } from '../src/domain/shared/stream-names';
import { HmacSubjectPseudonymizer } from '../src/infrastructure/crypto/hmac-subject-pseudonymizer';
import {
  bearer,
  count,
  deletionEvent,
  HMAC_KEY,
  KEYS,
  startGovernance,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(120_000);

const SOURCE = 'urn:app:legacy';

/**
 * A DeletionRequested event stored before content digests (no `contentDigest`), on real Postgres:
 * it still loads (read model, rebuild, lookup), and a repeat of its (source, id) is decided on the
 * fields it recorded.
 */
describe('deletion requests stored before content digests (real Postgres)', () => {
  let t: GovernanceTestApp;
  const api = () => request(t.app.getHttpServer());
  const requestId = requestIdFor(SOURCE, 'legacy-1');
  const subjectRef = new HmacSubjectPseudonymizer(HMAC_KEY).refOf(SubjectId('legacy-subject'));
  const eventCount = () => count(t.dataSource, 'SELECT count(*) n FROM events');

  beforeAll(async () => {
    t = await startGovernance({ withKafka: false, run: { projections: false, scheduler: false } });
    const legacy: NewEvent<DeletionRequested> = {
      type: 'DeletionRequested',
      data: {
        requestId,
        sourceEventId: 'legacy-1',
        source: SOURCE,
        channel: 'kafka',
        subjectRef,
        scope: null,
        legalBasis: 'gdpr-art-17',
        requestedAt: '2026-11-20T10:00:00.000Z',
        receivedAt: '2026-11-20T10:00:01.000Z',
        deadline: '2026-12-20T10:00:00.000Z',
        deadlineBasis: 'gdpr',
      },
      metadata: {
        messageId: randomUUID(),
        correlationId: 'legacy',
        causationId: 'legacy-1',
        actor: `kafka:${SOURCE}`,
        occurredAt: '2026-11-20T10:00:01.000Z',
        schemaVersion: 1,
      },
    };
    await t.dataSource.transaction((m) =>
      appendToStream(m, streams.deletionRequest(requestId).streamId, 'no-stream', [legacy]),
    );
    // Only the read model: the lineage resolver would move the request on (no records).
    await t.app.get(GovernanceProjections).runner.catchUp('governance.deletion-requests', 30_000);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('loads into the read model (no digest) and is found by (source, id)', async () => {
    const [row] = await t.dataSource.query<{ status: string; content_digest: string | null }[]>(
      'SELECT status, content_digest FROM gov_deletion_requests_view WHERE request_id = $1',
      [requestId],
    );
    expect(row).toEqual({ status: 'received', content_digest: null });
    const found = await api()
      .get('/v1/deletion-requests')
      .query({ source: SOURCE, eventId: 'legacy-1' })
      .set(bearer(KEYS.compliance))
      .expect(200);
    expect(found.body).toMatchObject({
      requestId,
      subjectRef,
      deadline: '2026-12-20T10:00:00.000Z',
    });
  });

  it('a repeat with the recorded content is the existing request; other content is a 409', async () => {
    const before = await eventCount();
    const same = await api()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('legacy-1', 'legacy-subject', { source: SOURCE }))
      .expect(202);
    expect(same.body).toEqual({ requestId, status: 'accepted', duplicate: true });
    const other = await api()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('legacy-1', 'someone-else', { source: SOURCE }))
      .expect(409);
    expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { requestId } });
    // An explicit deadline earlier than the stored statutory one would have won: other content.
    const earlier = await api()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(
        deletionEvent('legacy-1', 'legacy-subject', {
          source: SOURCE,
          deadline: '2026-12-01T00:00:00Z',
        }),
      )
      .expect(409);
    expect(earlier.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await eventCount()).toBe(before);
  });

  it('finds a request whose id came from `id` alone by (source, id), and prefers the pair-derived one', async () => {
    // A request stored before ids derived from the pair: its id is not requestIdFor(pair).
    const legacyId = DeletionRequestId(randomUUID());
    const legacy: NewEvent<DeletionRequested> = {
      type: 'DeletionRequested',
      data: {
        requestId: legacyId,
        sourceEventId: 'legacy-2',
        source: SOURCE,
        channel: 'kafka',
        subjectRef,
        scope: null,
        legalBasis: 'gdpr-art-17',
        requestedAt: '2026-11-21T10:00:00.000Z',
        receivedAt: '2026-11-21T10:00:01.000Z',
        deadline: '2026-12-21T10:00:00.000Z',
        deadlineBasis: 'gdpr',
      },
      metadata: {
        messageId: randomUUID(),
        correlationId: 'legacy',
        causationId: 'legacy-2',
        actor: `kafka:${SOURCE}`,
        occurredAt: '2026-11-21T10:00:01.000Z',
        schemaVersion: 1,
      },
    };
    await t.dataSource.transaction((m) =>
      appendToStream(m, streams.deletionRequest(legacyId).streamId, 'no-stream', [legacy]),
    );
    await t.app.get(GovernanceProjections).runner.catchUp('governance.deletion-requests', 30_000);
    const lookup = () =>
      api()
        .get('/v1/deletion-requests')
        .query({ source: SOURCE, eventId: 'legacy-2' })
        .set(bearer(KEYS.compliance))
        .expect(200);
    expect((await lookup()).body).toMatchObject({ requestId: legacyId, subjectRef });
    // The same pair redelivered after the change: a second request under the pair-derived id
    // (ADR 0006), which the lookup then answers.
    const repeat = await api()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.publisher))
      .send(deletionEvent('legacy-2', 'legacy-subject', { source: SOURCE }))
      .expect(202);
    const derived = requestIdFor(SOURCE, 'legacy-2');
    expect(repeat.body).toEqual({ requestId: derived, status: 'accepted', duplicate: false });
    expect((await lookup()).body).toMatchObject({ requestId: derived });
    await api()
      .get('/v1/deletion-requests')
      .query({ source: SOURCE, eventId: 'legacy-3' })
      .set(bearer(KEYS.compliance))
      .expect(404);
  });

  it('rebuilds its read model from the events to the same row', async () => {
    const snapshot = () =>
      t.dataSource.query('SELECT * FROM gov_deletion_requests_view ORDER BY request_id');
    const live = await snapshot();
    await t.app.get(GovernanceProjections).runner.rebuild('governance.deletion-requests');
    expect(await snapshot()).toEqual(live);
  });
});
