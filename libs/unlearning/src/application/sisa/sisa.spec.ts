import { engine, useBackend, backendUnderTest, liveTensors } from '../../../test/tf-test-helpers';
import { gaussianBlobs } from '../../infrastructure/data/synthetic';
import { placeSubject, subjectPrefix } from '../../domain/sisa/sisa-plan';
import { mlp } from '../model/architecture';
import { makeDataset, withoutIds, type Dataset } from '../model/dataset';
import { encodeWeights } from '../model/weights-codec';
import {
  constituentModel,
  ensembleDigest,
  ensembleDigestOf,
  sisaAccuracy,
  sisaScores,
  trainSisa,
  unlearnSisa,
  type SisaEnsemble,
  type SisaSettings,
} from './sisa';
import {
  decodeSisaEnsemble,
  deserializeSisaState,
  encodeSisaEnsemble,
  serializeSisaState,
} from './sisa-codec';

jest.setTimeout(120_000);

/** Blobs whose ids are `s<subject>#<i>`: 80 subjects with 3 records each. */
const subjectData = (): Dataset => {
  const d = gaussianBlobs({ n: 240, dim: 6, classes: 3, seed: 'sisa', separation: 3 });
  return makeDataset({ ...d, name: 'sisa', ids: d.ids.map((_, i) => `s${i % 80}#${i}`) });
};
const bySubject = subjectPrefix('#');
const arch = mlp([6, 8, 3], 'tanh');
const recipe = { C: 20, l2: 5e-4, learningRate: 0.02, epochs: 6, batchSize: 32, seed: 7 };
const settings: SisaSettings = {
  shards: 4,
  slices: 3,
  key: 'model:sisa',
  aggregation: 'mean-softmax',
};
const constituentBytes = (e: SisaEnsemble): (string | null)[] =>
  e.constituents.map((c) => {
    const m = constituentModel(c);
    return m.params ? Buffer.from(encodeWeights(arch, m.params)).toString('base64') : null;
  });

describe(`sisa-shard engine (${backendUnderTest()})`, () => {
  const data = subjectData();
  let trained: SisaEnsemble;

  beforeAll(async () => {
    await useBackend();
    const before = liveTensors();
    trained = await trainSisa(engine, { arch, data, recipe, settings, subjectOf: bySubject });
    // Leak check over a whole SISA training (k·r engine runs).
    expect(liveTensors()).toBe(before);
  });

  it('trains one constituent per shard with one checkpoint per slice, and the ensemble learns', () => {
    expect(trained.constituents).toHaveLength(4);
    for (const c of trained.constituents) {
      expect(c.checkpoints).toHaveLength(3);
      // Slice stage j trains on slices 0..j: the record count grows.
      const ns = c.checkpoints.map((cp) => cp.n);
      expect([...ns].sort((a, b) => a - b)).toEqual(ns);
      expect(ns[2]).toBe(trained.assignment.ids[c.shard]?.flat().length);
    }
    const before = liveTensors();
    expect(sisaAccuracy(engine, trained, data)).toBeGreaterThan(0.9);
    expect(
      sisaAccuracy(
        engine,
        { ...trained, settings: { ...settings, aggregation: 'majority-vote' } },
        data,
      ),
    ).toBeGreaterThan(0.9);
    expect(liveTensors()).toBe(before);
  });

  it("aggregates by the mean of the constituents' softmax (rows sum to 1)", () => {
    const scores = sisaScores(engine, trained, data);
    for (let i = 0; i < 5; i++) {
      const row = scores.slice(i * 3, i * 3 + 3);
      expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    }
  });

  it("a subject's deletion retrains one shard only; the others keep their bytes", async () => {
    const forget = data.ids.filter((id) => bySubject(id) === 's5');
    const p = placeSubject(settings, 's5');
    const before = liveTensors();
    const out = await unlearnSisa(engine, {
      ensemble: trained,
      data: withoutIds(data, forget),
      forgetIds: forget,
    });
    expect(liveTensors()).toBe(before);
    expect(out.changes).toHaveLength(1);
    expect(out.changes[0]).toMatchObject({ shard: p.shard, fromSlice: p.slice, removed: 3 });
    const a = constituentBytes(trained);
    const b = constituentBytes(out.ensemble);
    a.forEach((bytes, shard) => {
      if (shard === p.shard) expect(b[shard]).not.toBe(bytes);
      else expect(b[shard]).toBe(bytes);
    });
    // Checkpoints before the subject's slice are kept as they were.
    const shardBefore = trained.constituents[p.shard]?.checkpoints ?? [];
    const shardAfter = out.ensemble.constituents[p.shard]?.checkpoints ?? [];
    for (let j = 0; j < p.slice; j++) expect(shardAfter[j]).toBe(shardBefore[j]);
    expect(out.ensembleDigestBefore).toBe(ensembleDigest(trained));
    expect(out.ensembleDigestAfter).not.toBe(out.ensembleDigestBefore);
    expect(out.ensemble.recordIds).toHaveLength(data.ids.length - 3);
  });

  it('retraining from the checkpoint equals training from scratch without the subject (bitwise)', async () => {
    // Two subjects in different slices, to exercise restarts from a middle checkpoint.
    const subjects = ['s11', 's42'];
    const forget = data.ids.filter((id) => subjects.includes(bySubject(id)));
    const retain = withoutIds(data, forget);
    const out = await unlearnSisa(engine, { ensemble: trained, data: retain, forgetIds: forget });
    const scratch = await trainSisa(engine, {
      arch,
      data: retain,
      recipe,
      settings,
      subjectOf: bySubject,
    });
    expect(constituentBytes(out.ensemble)).toEqual(constituentBytes(scratch));
    expect(ensembleDigest(out.ensemble)).toBe(ensembleDigest(scratch));
    // Every intermediate checkpoint too.
    out.ensemble.constituents.forEach((c, s) =>
      c.checkpoints.forEach((cp, j) =>
        expect(cp.digest).toBe(scratch.constituents[s]?.checkpoints[j]?.digest),
      ),
    );
  });

  it('deleting ids the ensemble never trained on changes nothing', async () => {
    const out = await unlearnSisa(engine, { ensemble: trained, data, forgetIds: ['nobody#1'] });
    expect(out.changes).toEqual([]);
    expect(ensembleDigest(out.ensemble)).toBe(ensembleDigest(trained));
  });

  it('the public release holds the constituents only and verifies their digests', () => {
    const file = encodeSisaEnsemble(trained);
    const d = decodeSisaEnsemble(file);
    expect(d.ensembleDigest).toBe(ensembleDigest(trained));
    expect(d.constituents.map((c) => c.digest)).toEqual(
      trained.constituents.map((c) => constituentModel(c).digest),
    );
    expect(
      ensembleDigestOf(
        'mean-softmax',
        d.constituents.map((c) => c.digest),
      ),
    ).toBe(d.ensembleDigest);
    // No record id in the public file.
    expect(Buffer.from(file).toString('latin1')).not.toContain('s5#');
    const tampered = Uint8Array.from(file);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(() => decodeSisaEnsemble(tampered)).toThrow(/digest/);
  });

  it('the private state round-trips with every checkpoint', () => {
    const s = serializeSisaState({
      ensemble: trained,
      subjectKey: { kind: 'prefix', separator: '#' },
      k: 0,
      releaseDigest: 'a'.repeat(64),
    });
    const back = deserializeSisaState(s);
    expect(ensembleDigest(back.ensemble)).toBe(ensembleDigest(trained));
    expect(back.ensemble.assignment.ids).toEqual(trained.assignment.ids);
    back.ensemble.constituents.forEach((c, i) =>
      expect(c.checkpoints.map((cp) => cp.digest)).toEqual(
        trained.constituents[i]?.checkpoints.map((cp) => cp.digest),
      ),
    );
  });
});
