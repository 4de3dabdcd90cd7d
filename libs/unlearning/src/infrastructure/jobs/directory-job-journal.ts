import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { JobJournal, StagedEffect, StepClaim } from '../../application/jobs/job-ports';
import type { JobProfile } from '../../application/jobs/job-profile';
import { ModelStoreError, ModelStoreErrorCode } from '../../application/ports/model-store.errors';
import { ensureDir, errnoOf, io, placeExclusive, readIfExists } from '../model-store/fs-atomic';

/*
 * The worker's journal on a directory (port: application/jobs/job-ports.ts), inside the PRIVATE
 * store root (it holds chain states), mode 0600 files under 0700 directories:
 *
 *   <root>/journal/effects/<jobId>.json           staged effect, write-once (first writer wins)
 *   <root>/journal/results/<jobId>/<attempt>.json terminal result, write-once
 *   <root>/journal/models/<modelId>/profile.json  validated training profile, write-once
 *   <root>/journal/models/<modelId>/steps/<n>     certificate step n: the claiming job id
 *   <root>/journal/tmp/                            temp files (same filesystem)
 *
 * Every write is a temp file + fsync + link(2) (atomic create-if-absent), so a crash leaves the
 * old state or the whole file. Ids become path segments only after a strict check.
 */

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const checkId = (what: string, v: string): void => {
  if (!SAFE.test(v) || v.includes('..')) {
    throw new ModelStoreError(ModelStoreErrorCode.INVALID_KEY, `invalid ${what}`, { [what]: v });
  }
};

type Stored =
  | (Omit<Extract<StagedEffect, { kind: 'training' }>, 'released' | 'chain'> & {
      released: string;
      chain: { meta: string; weights: string };
    })
  | (Omit<Extract<StagedEffect, { kind: 'unlearning' }>, 'released' | 'chain'> & {
      released: string | null;
      chain: { meta: string; weights: string } | null;
    });

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

const encode = (e: StagedEffect): Buffer => {
  const chain = e.chain ? { meta: e.chain.meta, weights: b64(e.chain.weights) } : null;
  const stored = { ...e, released: e.released ? b64(e.released) : null, chain };
  return Buffer.from(JSON.stringify(stored), 'utf8');
};

const decode = (bytes: Buffer): StagedEffect => {
  const s = JSON.parse(bytes.toString('utf8')) as Stored;
  const chain = s.chain ? { meta: s.chain.meta, weights: unb64(s.chain.weights) } : null;
  if (s.kind === 'training') {
    return { ...s, released: unb64(s.released), chain: chain as NonNullable<typeof chain> };
  }
  return { ...s, released: s.released ? unb64(s.released) : null, chain };
};

/** How many staged certificates the journal keeps in memory (the last ones staged or read). */
const RECENT_CERTIFICATES = 64;

export class DirectoryJobJournal implements JobJournal {
  /**
   * The certificates of the last unlearning effects this journal wrote or read, by job. Effects
   * are write-once and never removed, so a kept certificate is the file's: the next job's step
   * claim takes the previous job's certificate from here instead of reading and decoding its
   * whole effect again (the released weights and the chain state). Only the certificate, a signed
   * public document, is kept: not the private chain state, and not megabytes per effect.
   */
  private readonly recent = new Map<string, string>();

  private constructor(private readonly root: string) {}

  private remember(e: StagedEffect): StagedEffect {
    if (e.kind !== 'unlearning') return e;
    this.recent.delete(e.jobId);
    this.recent.set(e.jobId, e.certificate);
    if (this.recent.size > RECENT_CERTIFICATES) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return e;
  }

  /** Opens (creating) `<privateRoot>/journal`. */
  static async open(privateRoot: string): Promise<DirectoryJobJournal> {
    const root = join(privateRoot, 'journal');
    await io('mkdir', () => mkdir(join(root, 'tmp'), { recursive: true, mode: 0o700 }));
    return new DirectoryJobJournal(root);
  }

  private write(path: string, bytes: Uint8Array): Promise<boolean> {
    return io('write journal', () => placeExclusive(join(this.root, 'tmp'), path, bytes, 0o600));
  }

  private read(path: string): Promise<Buffer | null> {
    return io('read journal', () => readIfExists(path));
  }

  private effectPath(jobId: string): string {
    checkId('jobId', jobId);
    return join(this.root, 'effects', `${jobId}.json`);
  }

  private stepsDir(modelId: string): string {
    checkId('modelId', modelId);
    return join(this.root, 'models', modelId, 'steps');
  }

  async stage(effect: StagedEffect): Promise<StagedEffect> {
    const path = this.effectPath(effect.jobId);
    // A staged job ends with a recorded result: its results directory is made (durably) while
    // the effect is written, so that recording the result, after the effect is applied, costs one
    // fsync less on the job's path (docs/benchmarks.md (g), "Fifth wave").
    const resultsDir = io('mkdir', () => ensureDir(this.resultsDir(effect.jobId)));
    resultsDir.catch(() => undefined);
    const created = await this.write(path, encode(effect));
    await resultsDir;
    if (created) return this.remember(effect);
    const kept = await this.read(path);
    if (!kept) throw new Error(`staged effect of ${effect.jobId} vanished`);
    return this.remember(decode(kept));
  }

  async staged(jobId: string): Promise<StagedEffect | null> {
    const bytes = await this.read(this.effectPath(jobId));
    return bytes ? this.remember(decode(bytes)) : null;
  }

  async stagedCertificate(jobId: string): Promise<string | null> {
    const known = this.recent.get(jobId);
    if (known !== undefined) return known;
    const e = await this.staged(jobId);
    return e?.kind === 'unlearning' ? e.certificate : null;
  }

  async claimStep(modelId: string, index: number, jobId: string): Promise<StepClaim> {
    checkId('jobId', jobId);
    const path = join(this.stepsDir(modelId), String(index));
    // A step already held (the job re-asserting its claim after staging, or another holder) is
    // answered by a read: the write-once write below would cost a temp file and its fsync only
    // to find the target there.
    const holder = await this.stepHolder(modelId, index);
    if (holder !== null) return { holder, created: false };
    if (await this.write(path, Buffer.from(jobId, 'utf8'))) return { holder: jobId, created: true };
    const now = await this.stepHolder(modelId, index);
    return now !== null ? { holder: now, created: false } : this.claimStep(modelId, index, jobId);
  }

  async releaseStep(modelId: string, index: number, jobId: string): Promise<void> {
    if ((await this.stepHolder(modelId, index)) !== jobId) return;
    if (await this.staged(jobId)) return;
    await io('release step', async () => {
      try {
        await unlink(join(this.stepsDir(modelId), String(index)));
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw e;
      }
    });
  }

  async stepHolder(modelId: string, index: number): Promise<string | null> {
    const bytes = await this.read(join(this.stepsDir(modelId), String(index)));
    return bytes ? bytes.toString('utf8') : null;
  }

  async lastStep(modelId: string): Promise<{ index: number; jobId: string } | null> {
    const dir = this.stepsDir(modelId);
    const names = await io('list steps', async () => {
      try {
        return await readdir(dir);
      } catch (e) {
        if (errnoOf(e) === 'ENOENT') return [];
        throw e;
      }
    });
    const indices = names.filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number);
    if (indices.length === 0) return null;
    const index = Math.max(...indices);
    const jobId = await this.stepHolder(modelId, index);
    return jobId ? { index, jobId } : this.lastStep(modelId);
  }

  async putModelProfile(modelId: string, profile: JobProfile): Promise<void> {
    checkId('modelId', modelId);
    const path = join(this.root, 'models', modelId, 'profile.json');
    const bytes = Buffer.from(JSON.stringify(profile), 'utf8');
    if (await this.write(path, bytes)) return;
    const kept = await this.read(path);
    if (!kept || !kept.equals(bytes)) {
      throw new ModelStoreError(
        ModelStoreErrorCode.PRIVATE_STATE_CONFLICT,
        `model ${modelId} was trained with another profile`,
        { modelId },
      );
    }
  }

  async modelProfile(modelId: string): Promise<JobProfile | null> {
    checkId('modelId', modelId);
    const bytes = await this.read(join(this.root, 'models', modelId, 'profile.json'));
    return bytes ? (JSON.parse(bytes.toString('utf8')) as JobProfile) : null;
  }

  private resultsDir(jobId: string): string {
    checkId('jobId', jobId);
    return join(this.root, 'results', jobId);
  }

  async recordResult(result: UnlearningResultDataV1): Promise<void> {
    const path = join(this.resultsDir(result.jobId), `${result.attempt}.json`);
    await this.write(path, Buffer.from(JSON.stringify(result), 'utf8'));
  }

  async result(jobId: string, attempt: number): Promise<UnlearningResultDataV1 | null> {
    checkId('jobId', jobId);
    const bytes = await this.read(join(this.root, 'results', jobId, `${attempt}.json`));
    return bytes ? (JSON.parse(bytes.toString('utf8')) as UnlearningResultDataV1) : null;
  }
}
