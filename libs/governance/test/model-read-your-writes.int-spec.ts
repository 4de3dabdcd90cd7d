import request from 'supertest';
import { GovernanceProjections } from '../src';
import { upsertRows } from '../src/application/projections/state-view.projection';
import { bearer, KEYS, startGovernance, type GovernanceTestApp } from './harness';

jest.setTimeout(120_000);

interface ModelView {
  modelId: string;
  name: string;
  currentVersion: number;
  training: { status: string; jobId: string } | null;
  policy?: { revision: number; methods: string[] };
  versions: { version: number; origin: string; recordCount: number }[];
}

/**
 * A model is readable the moment its registration answers 201 (ADR 0005): the register command
 * writes the model's first row, and version 1 when it was trained elsewhere, in its own
 * transaction. No projection runs in this file until the end, so a read that depended on the
 * subscription would answer 404.
 */
describe('model registration is read-your-writes (real Postgres)', () => {
  let t: GovernanceTestApp;
  const http = () => request(t.app.getHttpServer());
  const admin = bearer(KEYS.admin);
  const getModel = async (id: string) =>
    (await http().get(`/v1/models/${id}`).set(admin).expect(200)).body as ModelView;

  beforeAll(async () => {
    t = await startGovernance({ withKafka: false, run: { projections: false, scheduler: false } });
    await http().post('/v1/datasets').set(admin).send({ datasetId: 'ds', name: 'ds' }).expect(201);
    await http()
      .post('/v1/datasets/ds/records')
      .set(admin)
      .send(
        ['a', 'b', 'c'].map((subjectId, i) => ({
          recordId: `r-${i}`,
          subjectId,
          features: [i, 1],
          label: i % 2,
        })),
      )
      .expect(200);
    await http()
      .post('/v1/datasets')
      .set(admin)
      .send({
        datasetId: 'sourced',
        name: 'sourced',
        source: {
          kind: 'file',
          format: 'csv',
          path: 'x/train.csv',
          recordIdColumn: 'record_id',
          labelColumn: 'label',
        },
      })
      .expect(201);
    await http()
      .post('/v1/datasets/sourced/records')
      .set(admin)
      .send([{ recordId: 's-0', subjectId: 'a', features: [0, 1], label: 0 }])
      .expect(200);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a model trained elsewhere answers with version 1 at once', async () => {
    await http()
      .post('/v1/models')
      .set(admin)
      .send({ modelId: 'elsewhere', name: 'Elsewhere', training: { datasetIds: ['ds'] } })
      .expect(201);
    const model = await getModel('elsewhere');
    expect(model).toMatchObject({ modelId: 'elsewhere', currentVersion: 1, training: null });
    expect(model.versions).toEqual([
      expect.objectContaining({ version: 1, origin: 'registration', recordCount: 3 }),
    ]);
  });

  it('a model Lethe trains answers with version 0 and its training scheduled at once', async () => {
    const registered = await http()
      .post('/v1/models')
      .set(admin)
      .send({
        modelId: 'lethe-trained',
        name: 'Lethe trained',
        training: { datasetIds: ['sourced'] },
      });
    expect(registered.status).toBe(201);
    const model = await getModel('lethe-trained');
    expect(model).toMatchObject({
      currentVersion: 0,
      training: { status: 'scheduled', jobId: registered.body.trainingJobId as string },
      versions: [],
    });
  });

  it('the subscription, catching up afterwards, leaves the same rows', async () => {
    const before = [await getModel('elsewhere'), await getModel('lethe-trained')];
    await t.app.get(GovernanceProjections).runner.catchUp(undefined, 30_000);
    expect([await getModel('elsewhere'), await getModel('lethe-trained')]).toEqual(before);
  });

  it('a changed policy shows at once, and an older fold never replaces a newer row', async () => {
    await http()
      .post('/v1/models')
      .set(admin)
      .send({
        modelId: 'with-policy',
        name: 'With policy',
        training: { datasetIds: ['ds'] },
        profile: {
          architecture: { kind: 'logistic-regression' },
          recipe: { epochs: 5 },
          policy: { methods: ['newton', 'retrain'], target: { epsilon: 1, delta: 1e-6 } },
        },
      })
      .expect(201);
    // Two changes while no subscription runs: the row is folded by the commands alone.
    for (const [revision, methods] of [
      [1, ['retrain']],
      [2, ['newton', 'retrain']],
    ] as const) {
      await http()
        .put('/v1/models/with-policy/policy')
        .set(admin)
        .send({ methods, target: { epsilon: 0.5, delta: 1e-7 } })
        .expect(200);
      expect((await getModel('with-policy')).policy).toMatchObject({ revision, methods });
    }
    // The subscription, catching up, finds the row at the stream's version and keeps it.
    await t.app.get(GovernanceProjections).runner.catchUp(undefined, 30_000);
    expect((await getModel('with-policy')).policy).toMatchObject({
      revision: 2,
      methods: ['newton', 'retrain'],
    });
    // Had it folded an older version concurrently, its upsert would not replace the newer row.
    const [row] = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM gov_models_view WHERE model_id = 'with-policy'`,
    );
    expect(row?.stream_version).toBe(4);
    await upsertRows(t.dataSource.manager, 'gov_models_view', 'model_id', [
      { ...row, name: 'stale', stream_version: 3 },
    ]);
    expect(await getModel('with-policy')).toMatchObject({ name: 'With policy' });
    await upsertRows(t.dataSource.manager, 'gov_models_view', 'model_id', [
      { ...row, name: 'newer', stream_version: 5 },
    ]);
    expect(await getModel('with-policy')).toMatchObject({ name: 'newer' });
  });

  it('a refused registration leaves no row behind', async () => {
    await http()
      .post('/v1/models')
      .set(admin)
      .send({ modelId: 'refused', name: 'Refused', training: { datasetIds: ['nope'] } })
      .expect(422);
    await http().get('/v1/models/refused').set(admin).expect(404);
  });
});
