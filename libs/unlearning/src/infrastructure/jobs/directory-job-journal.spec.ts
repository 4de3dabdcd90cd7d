import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { StagedUnlearning } from '../../application/jobs/job-ports';
import { DirectoryJobJournal } from './directory-job-journal';

const anEffect = (jobId: string, certificate = `jws-of-${jobId}`): StagedUnlearning => ({
  kind: 'unlearning',
  jobId,
  modelId: 'm',
  step: 1,
  method: 'retrain',
  versionBefore: 1,
  versionAfter: 2,
  digestBefore: 'a'.repeat(64),
  digestAfter: 'b'.repeat(64),
  released: new Uint8Array([1, 2, 3]),
  trainingProfile: null,
  chain: { meta: '{"k":1}', weights: new Uint8Array([9, 8]) },
  certificateId: `cert-${jobId}`,
  certificate,
});

describe('DirectoryJobJournal (write-once, in the private root)', () => {
  let root: string;
  let journal: DirectoryJobJournal;
  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'lethe-journal-'));
    journal = await DirectoryJobJournal.open(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the first staged effect of a job; a second one gets the first back', async () => {
    const first = anEffect('j1', 'first');
    expect(await journal.stage(first)).toEqual(first);
    expect(await journal.stage(anEffect('j1', 'second'))).toEqual(first);
    expect(await journal.staged('j1')).toEqual(first);
    expect(await journal.staged('j2')).toBeNull();
    const file = path.join(root, 'journal', 'effects', 'j1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a certificate step has one holder; only it can give the step back, and not once staged', async () => {
    expect(await journal.claimStep('m', 1, 'j1')).toBe('j1');
    expect(await journal.claimStep('m', 1, 'j2')).toBe('j1');
    await journal.releaseStep('m', 1, 'j2');
    expect(await journal.lastStep('m')).toEqual({ index: 1, jobId: 'j1' });
    await journal.releaseStep('m', 1, 'j1');
    expect(await journal.lastStep('m')).toBeNull();
    expect(await journal.claimStep('m', 1, 'j3')).toBe('j3');
    await journal.stage(anEffect('j3'));
    await journal.releaseStep('m', 1, 'j3');
    expect(await journal.stepHolder('m', 1)).toBe('j3');
    expect(await journal.claimStep('m', 2, 'j4')).toBe('j4');
    expect(await journal.lastStep('m')).toEqual({ index: 2, jobId: 'j4' });
  });

  it('keeps the last staged effects it wrote or read in memory (write-once files); a missing one is looked up on disk each time', async () => {
    const first = anEffect('j6');
    await journal.stage(first);
    const file = path.join(root, 'journal', 'effects', 'j6.json');
    // The effect is answered from memory: removing the file (never done by the journal) shows it.
    rmSync(file);
    expect(await journal.staged('j6')).toEqual(first);
    // Another journal on the same root (another worker) reads the disk, and keeps what it read.
    const other = await DirectoryJobJournal.open(root);
    expect(await other.staged('j6')).toBeNull();
    await journal.stage(anEffect('j7'));
    expect(await other.staged('j7')).toEqual(anEffect('j7'));
    rmSync(path.join(root, 'journal', 'effects', 'j7.json'));
    expect(await other.staged('j7')).toEqual(anEffect('j7'));
    // At most 8 are kept: the oldest is read from the disk again.
    for (let i = 0; i < 8; i++) await other.stage(anEffect(`k${i}`));
    expect(await other.staged('j7')).toBeNull();
  });

  it("staging makes the job's (empty) results directory beside the effect; the result is recorded into it", async () => {
    const dir = path.join(root, 'journal', 'results', 'j5');
    expect(existsSync(dir)).toBe(false);
    await journal.stage(anEffect('j5'));
    expect(readdirSync(dir)).toEqual([]);
    expect(await journal.result('j5', 1)).toBeNull();
    const r = {
      jobId: 'j5',
      modelId: 'm',
      attempt: 1,
      workerId: 'w',
      at: '2026-11-29T12:00:00Z',
      kind: 'started' as const,
    };
    await journal.recordResult(r);
    expect(readdirSync(dir)).toEqual(['1.json']);
    expect(await journal.result('j5', 1)).toEqual(r);
    // A second staging of the job (a twin) finds the directory there.
    expect(await journal.stage(anEffect('j5', 'twin'))).toEqual(anEffect('j5'));
  });

  it('records one result per (job, attempt) and refuses path-like ids', async () => {
    const r = {
      jobId: 'j1',
      modelId: 'm',
      attempt: 1,
      workerId: 'w',
      at: '2026-11-29T12:00:00Z',
      kind: 'started' as const,
    };
    await journal.recordResult(r);
    await journal.recordResult({ ...r, workerId: 'other' });
    expect(await journal.result('j1', 1)).toEqual(r);
    expect(await journal.result('j1', 2)).toBeNull();
    await expect(journal.staged('../x')).rejects.toMatchObject({ code: 'MODEL_STORE_INVALID_KEY' });
  });
});
