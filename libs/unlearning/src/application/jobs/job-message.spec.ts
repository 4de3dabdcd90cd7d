import { aTrainingJob, anUnlearningJob, jobMessage } from '../../testing/jobs/job-factories';
import { parseJobMessage } from './job-message';
import { parseJobProfile, sequentialPolicyFor } from './job-profile';
import { ProgressReporter, stageOf } from './progress-reporter';

describe('job messages at the worker door', () => {
  it('parses both job types', () => {
    const u = parseJobMessage(jobMessage(anUnlearningJob()));
    const t = parseJobMessage(jobMessage(aTrainingJob()));
    expect(u).toMatchObject({ kind: 'job', job: { type: 'unlearning' } });
    expect(t).toMatchObject({ kind: 'job', job: { type: 'training' } });
  });

  it('refuses bad input with an address when the message names its job, never throws', () => {
    expect(parseJobMessage(null)).toMatchObject({ kind: 'invalid', address: null });
    expect(parseJobMessage('{')).toMatchObject({ kind: 'invalid', address: null });
    expect(parseJobMessage('[1]')).toMatchObject({ kind: 'invalid', address: null });
    const job = anUnlearningJob({ baseVersion: 0 });
    const r = parseJobMessage(jobMessage(job));
    expect(r).toMatchObject({
      kind: 'invalid',
      address: { jobId: job.jobId, modelId: job.modelId, attempt: 1 },
    });
    expect(r.kind === 'invalid' && r.reason).toContain('baseVersion');
    const noId = JSON.parse(jobMessage(anUnlearningJob()).toString()) as { data: object };
    noId.data = { ...noId.data, jobId: '../etc' };
    expect(parseJobMessage(JSON.stringify(noId))).toMatchObject({ kind: 'invalid', address: null });
  });

  it('skips unknown types', () => {
    expect(parseJobMessage('{"type":"lethe.other.v1"}')).toEqual({
      kind: 'unknown-type',
      type: 'lethe.other.v1',
    });
  });
});

describe('training profile and policy', () => {
  it('defaults: logistic regression, newton (LiSSA) then retrain', () => {
    const p = parseJobProfile({});
    expect(p.architecture).toEqual({ kind: 'logistic-regression' });
    expect(sequentialPolicyFor(p)).toMatchObject({
      mode: 'certified',
      newton: { inverse: { kind: 'lissa' } },
      target: { epsilon: 1, delta: 1e-5 },
      retrainAllowed: true,
    });
  });

  it('retrain only is exact; newton only parks the request', () => {
    expect(sequentialPolicyFor(parseJobProfile({ policy: { methods: ['retrain'] } }))).toEqual({
      mode: 'exact',
    });
    expect(sequentialPolicyFor(parseJobProfile({ policy: { methods: ['newton'] } }))).toMatchObject(
      { mode: 'certified', retrainAllowed: false },
    );
  });

  it('refuses an invalid profile with its issues', () => {
    expect(() => parseJobProfile({ recipe: { C: -1 }, extra: 1 })).toThrow(
      expect.objectContaining({ code: 'JOB_INVALID_PROFILE' }),
    );
  });
});

describe('progress', () => {
  it('maps engine phases to public stages and drops data-dependent counts (CG)', () => {
    expect(stageOf('train-epoch')).toBe('training');
    expect(stageOf('retrain-epoch')).toBe('retraining');
    expect(stageOf('lissa')).toBe('inverse-hvp');
    expect(stageOf('cg')).toBeNull();
  });

  it('throttles to one per interval, keeps stage changes and the end of a stage', async () => {
    let t = 0;
    const sent: { stage: string; done: number; seq: number }[] = [];
    const r = new ProgressReporter(
      { jobId: 'j', modelId: 'm', attempt: 1, workerId: 'w' },
      (p) => {
        sent.push(p);
        return Promise.resolve();
      },
      () => new Date(t),
      500,
    );
    for (let i = 1; i <= 100; i++) {
      t += 10; // 100 updates over one second
      r.onProgress({ phase: 'lissa', done: i, total: 100 });
    }
    r.onProgress({ phase: 'cg', done: 1, total: 5 });
    await r.flush();
    expect(sent.map((s) => s.done)).toEqual([1, 51, 100]);
    expect(sent.map((s) => s.seq)).toEqual([1, 2, 3]);
  });
});
