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
    expect(await journal.claimStep('m', 1, 'j1')).toEqual({ holder: 'j1', created: true });
    expect(await journal.claimStep('m', 1, 'j2')).toEqual({ holder: 'j1', created: false });
    // The holder asking again (a crash's leftover, a twin delivery) finds its claim: not created.
    expect(await journal.claimStep('m', 1, 'j1')).toEqual({ holder: 'j1', created: false });
    await journal.releaseStep('m', 1, 'j2');
    expect(await journal.lastStep('m')).toEqual({ index: 1, jobId: 'j1' });
    await journal.releaseStep('m', 1, 'j1');
    expect(await journal.lastStep('m')).toBeNull();
    expect(await journal.claimStep('m', 1, 'j3')).toEqual({ holder: 'j3', created: true });
    await journal.stage(anEffect('j3'));
    await journal.releaseStep('m', 1, 'j3');
    expect(await journal.stepHolder('m', 1)).toBe('j3');
    expect(await journal.claimStep('m', 2, 'j4')).toEqual({ holder: 'j4', created: true });
    expect(await journal.lastStep('m')).toEqual({ index: 2, jobId: 'j4' });
  });

  it('keeps the certificates of the last unlearning effects it wrote or read in memory (write-once files), not the effects; a missing one is looked up on disk each time', async () => {
    const first = anEffect('j6');
    await journal.stage(first);
    const file = path.join(root, 'journal', 'effects', 'j6.json');
    // The certificate is answered from memory: removing the file (never done by the journal)
    // shows it. The whole effect (released weights, the private chain state) is not kept.
    rmSync(file);
    expect(await journal.stagedCertificate('j6')).toBe('jws-of-j6');
    expect(await journal.staged('j6')).toBeNull();
    // Another journal on the same root (another worker) reads the disk, and keeps what it read.
    const other = await DirectoryJobJournal.open(root);
    expect(await other.stagedCertificate('j6')).toBeNull();
    await journal.stage(anEffect('j7'));
    expect(await other.staged('j7')).toEqual(anEffect('j7'));
    rmSync(path.join(root, 'journal', 'effects', 'j7.json'));
    expect(await other.stagedCertificate('j7')).toBe('jws-of-j7');
    // At most 64 are kept: the oldest is read from the disk again.
    for (let i = 0; i < 64; i++) await other.stage(anEffect(`k${i}`));
    expect(await other.stagedCertificate('j7')).toBeNull();
    expect(await other.stagedCertificate('k63')).toBe('jws-of-k63');
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
