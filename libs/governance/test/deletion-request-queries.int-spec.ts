import request from 'supertest';
import { GovernanceProjections } from '../src';
import {
  bearer,
  count,
  deletionEvent,
  KEYS,
  startGovernance,
  TEST_SOURCE,
  type GovernanceTestApp,
} from './harness';

jest.setTimeout(120_000);

const OTHER_SOURCE = 'urn:lethe:app:hr';

interface Item {
  requestId: string;
  sourceEventId: string;
  source: string;
  status: string;
  overdue: boolean;
  subjectRef?: string;
  history?: unknown;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

/**
 * GET /v1/deletion-requests on real PostgreSQL: the lists compliance reads (filters, order,
 * cursor) and what a publisher may see, bound to its sources or not; a bound publisher may not
 * post for another source.
 */
describe('deletion-request queries (real Postgres)', () => {
  let t: GovernanceTestApp;
  const http = () => request(t.app.getHttpServer());
  /** Event ids in the order they were posted (= received). */
  const sent: { id: string; source: string; status: string; overdue: boolean; deadline: string }[] =
    [];

  const list = (query: Record<string, string | number>, key = KEYS.compliance) =>
    http().get('/v1/deletion-requests').query(query).set(bearer(key));
  const all = async (query: Record<string, string | number>, key = KEYS.compliance) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list({ ...query, ...(cursor ? { cursor } : {}) }, key);
      expect(res.status).toBe(200);
      const page = res.body as Page;
      ids.push(...page.items.map((i) => i.sourceEventId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    return ids;
  };
  const expected = (keep: (s: (typeof sent)[number]) => boolean) =>
    sent.filter(keep).map((s) => s.id);

  beforeAll(async () => {
    t = await startGovernance({ withKafka: false, run: { projections: false, scheduler: false } });
    const admin = bearer(KEYS.admin);
    await http().post('/v1/datasets').set(admin).send({ datasetId: 'ds', name: 'ds' }).expect(201);
    await http()
      .post('/v1/datasets/ds/records')
      .set(admin)
      .send(
        ['kept-1', 'kept-2'].map((subjectId, i) => ({
          recordId: `r-${i}`,
          subjectId,
          features: [i, 1],
          label: i,
        })),
      )
      .expect(200);
    await http()
      .post('/v1/models')
      .set(admin)
      .send({ modelId: 'm', name: 'm', training: { datasetIds: ['ds'] } })
      .expect(201);

    // Subjects with records stay received (lineage finds a model; no scheduler runs here); the
    // others settle as no-records. Contract deadlines in 2020 are overdue unless settled.
    const plan = [
      { source: TEST_SOURCE, subject: 'kept-1', deadline: '2020-01-01T00:00:00Z' },
      { source: TEST_SOURCE, subject: 'nobody-1', deadline: '2020-02-01T00:00:00Z' },
      { source: TEST_SOURCE, subject: 'kept-2' },
      { source: OTHER_SOURCE, subject: 'nobody-2' },
      { source: OTHER_SOURCE, subject: 'kept-1', deadline: '2020-03-01T00:00:00Z' },
      { source: TEST_SOURCE, subject: 'nobody-3' },
    ];
    for (const [i, p] of plan.entries()) {
      const id = `evt-q-${i + 1}`;
      await http()
        .post('/v1/deletion-requests')
        .set(bearer(KEYS.publisher))
        .send(
          deletionEvent(id, p.subject, {
            source: p.source,
            ...(p.deadline ? { legalBasis: 'contract', deadline: p.deadline } : {}),
          }),
        )
        .expect(202);
      const settled = p.subject.startsWith('nobody');
      sent.push({
        id,
        source: p.source,
        status: settled ? 'no-records' : 'received',
        overdue: !settled && p.deadline !== undefined,
        deadline: p.deadline ?? '2099-01-01T00:00:00Z',
      });
    }
    const projections = t.app.get(GovernanceProjections);
    await projections.runner.catchUp(undefined, 30_000);
    await projections.runner.catchUp(undefined, 30_000);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists every request in the order received, page after page', async () => {
    for (const limit of [1, 4, 50]) expect(await all({ limit })).toEqual(sent.map((s) => s.id));
    const res = await list({ limit: 50 });
    const items = (res.body as Page).items;
    expect(items.map((i) => [i.sourceEventId, i.status, i.overdue])).toEqual(
      sent.map((s) => [s.id, s.status, s.overdue]),
    );
    expect(items[0]).not.toHaveProperty('history');
  });

  it('filters by status, overdue, source and deadline, alone and together', async () => {
    expect(await all({ status: 'no-records', limit: 2 })).toEqual(
      expected((s) => s.status === 'no-records'),
    );
    expect(await all({ status: 'received,no-records' })).toEqual(sent.map((s) => s.id));
    expect(await all({ overdue: 'true' })).toEqual(expected((s) => s.overdue));
    expect(await all({ overdue: 'false', limit: 1 })).toEqual(expected((s) => !s.overdue));
    expect(await all({ source: OTHER_SOURCE })).toEqual(expected((s) => s.source === OTHER_SOURCE));
    expect(await all({ deadlineBefore: '2021-01-01T00:00:00Z' })).toEqual(
      expected((s) => s.deadline < '2021'),
    );
    expect(await all({ source: TEST_SOURCE, overdue: 'true' })).toEqual(
      expected((s) => s.source === TEST_SOURCE && s.overdue),
    );
  });

  it('keeps the (source, eventId) lookup', async () => {
    const res = await list({ source: OTHER_SOURCE, eventId: 'evt-q-5' }).expect(200);
    expect(res.body).toMatchObject({ sourceEventId: 'evt-q-5', overdue: true });
    expect(res.body).toHaveProperty('history');
    const missing = await list({ source: OTHER_SOURCE, eventId: 'evt-q-1' }).expect(404);
    expect(missing.body).toMatchObject({ code: 'REQUEST_NOT_FOUND' });
  });

  it('shows a bound publisher its own sources in full, and nothing of the others', async () => {
    const key = KEYS.boundPublisher;
    expect(await all({}, key)).toEqual(expected((s) => s.source === TEST_SOURCE));
    const own = await list({ source: TEST_SOURCE, eventId: 'evt-q-1' }, key).expect(200);
    expect(own.body).toHaveProperty('subjectRef');
    const foreign: Record<string, string>[] = [
      { source: OTHER_SOURCE },
      { source: OTHER_SOURCE, eventId: 'evt-q-5' },
    ];
    for (const query of foreign) {
      const res = await list(query, key).expect(403);
      expect(res.body).toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
    }
  });

  it('gives an unbound publisher receipts by (source, eventId), never a list', async () => {
    const receipt = await list({ source: TEST_SOURCE, eventId: 'evt-q-1' }, KEYS.publisher).expect(
      200,
    );
    expect(receipt.body).toMatchObject({ status: 'received', overdue: true });
    expect(receipt.body).not.toHaveProperty('subjectRef');
    const res = await list({}, KEYS.publisher).expect(403);
    expect(res.body).toMatchObject({ code: 'SOURCE_BINDING_REQUIRED' });
  });

  it('refuses a bound publisher posting for another source, storing nothing', async () => {
    const before = await count(t.dataSource, 'SELECT count(*) n FROM events');
    const res = await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.boundPublisher))
      .send(deletionEvent('evt-foreign', 'kept-1', { source: OTHER_SOURCE }))
      .expect(403);
    expect(res.body).toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
    expect(await count(t.dataSource, 'SELECT count(*) n FROM events')).toBe(before);
    await http()
      .post('/v1/deletion-requests')
      .set(bearer(KEYS.boundPublisher))
      .send(deletionEvent('evt-own', 'nobody-9'))
      .expect(202);
  });

  it('answers coded problems for bad queries', async () => {
    for (const [query, code] of [
      [{ status: 'bogus' }, 'SCHEMA_VIOLATION'],
      [{ overdue: 'maybe' }, 'SCHEMA_VIOLATION'],
      [{ eventId: 'evt-q-1' }, 'SCHEMA_VIOLATION'],
      [{ limit: 500 }, 'SCHEMA_VIOLATION'],
      [{ deadlineBefore: 'soon' }, 'SCHEMA_VIOLATION'],
      [{ cursor: 'garbage' }, 'INVALID_CURSOR'],
    ] as const) {
      const res = await list(query);
      expect([res.status, (res.body as { code: string }).code]).toEqual([400, code]);
    }
  });
});
