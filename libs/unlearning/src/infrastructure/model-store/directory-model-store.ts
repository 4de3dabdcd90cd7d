import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CertificateId, ModelId } from '@lethe/shared';
import type { TrainingProfile } from '../../domain/model/training-profile';
import { decodeWeights, sha256Hex } from '../../application/model/weights-codec';
import { decodeSisaEnsemble, isSisaEnsembleFile } from '../../application/sisa/sisa-codec';
import { ModelStoreError, ModelStoreErrorCode } from '../../application/ports/model-store.errors';
import {
  WEIGHTS_BLOB_FORMAT,
  type ModelStore,
  type ModelVersionRecord,
  type PublicWeights,
  type PutModelVersion,
} from '../../application/ports/model-store.port';
import { canonicalJson } from '@lethe/shared/domain';
import {
  commitExclusive,
  createEmptyExclusive,
  discardPrepared,
  ensureDir,
  errnoOf,
  io,
  placeReplacing,
  prepareExclusive,
  readIfExists,
} from './fs-atomic';
import { blobRelativePath, checkDigest, checkId, checkVersion } from './keys';

export interface DirectoryModelStoreOptions {
  /** Root directory (e.g. `LETHE_MODEL_STORE_DIR`); created if missing. */
  readonly root: string;
  readonly now?: () => Date;
}

const METADATA_FORMAT = 'lethe.model-version/v1';

const metadataSchema = z
  .object({
    format: z.literal(METADATA_FORMAT),
    modelId: z.string(),
    version: z.number().int().min(1),
    digest: z.string().regex(/^[0-9a-f]{64}$/),
    parentDigest: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    sizeBytes: z.number().int().min(0),
    weightsFormat: z.literal(WEIGHTS_BLOB_FORMAT),
    trainingProfile: z.record(z.unknown()),
    storedAt: z.string(),
    metadataDigest: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

type Metadata = z.infer<typeof metadataSchema>;

/**
 * The public model store on a directory:
 *
 * ```
 * <root>/sha256/<2 hex>/<digest>                      weights file (blob), address = its SHA-256
 * <root>/models/<modelId>/versions/<v>.json           version metadata, write-once
 * <root>/models/<modelId>/versions/<v>.certificates/  one empty file per linked certificate id
 * <root>/tmp/                                         temp files (same filesystem)
 * ```
 *
 * Writes are atomic and durable (fs-atomic.ts). Blobs are re-hashed on every read; metadata
 * carries `metadataDigest` (SHA-256 of its canonical JSON without that field), checked on read.
 * A blob found corrupt at put time is replaced by the verified new bytes.
 */
export class DirectoryModelStore implements ModelStore {
  private constructor(
    readonly root: string,
    private readonly now: () => Date,
  ) {}

  static async open(options: DirectoryModelStoreOptions): Promise<DirectoryModelStore> {
    const store = new DirectoryModelStore(options.root, options.now ?? (() => new Date()));
    await io('mkdir', () => mkdir(join(options.root, 'tmp'), { recursive: true }));
    return store;
  }

  async putVersion(v: PutModelVersion) {
    const modelId = checkId('modelId', v.modelId);
    const version = checkVersion(v.version);
    if (v.parentDigest !== null) checkDigest(v.parentDigest);
    const certificateIds = (v.certificateIds ?? []).map((c) => checkId('certificateId', c));
    try {
      // A weights file, or a SISA ensemble file (its constituents' weights files and digests).
      if (isSisaEnsembleFile(v.weights)) decodeSisaEnsemble(v.weights);
      else decodeWeights(v.weights);
    } catch (e) {
      throw new ModelStoreError(
        ModelStoreErrorCode.INVALID_WEIGHTS,
        'the bytes are not a valid weights file',
        { reason: e instanceof Error ? e.message : String(e) },
      );
    }
    const digest = sha256Hex(v.weights);
    const body: Omit<Metadata, 'metadataDigest'> = {
      format: METADATA_FORMAT,
      modelId,
      version,
      digest,
      parentDigest: v.parentDigest,
      sizeBytes: v.weights.byteLength,
      weightsFormat: WEIGHTS_BLOB_FORMAT,
      trainingProfile: v.trainingProfile as unknown as Record<string, unknown>,
      storedAt: this.now().toISOString(),
    };
    // The digest is of the body as the file holds it (what `readMetadata` recomputes it from):
    // JSON text drops undefined members, so the object is taken through JSON first.
    const stored = JSON.parse(JSON.stringify(body)) as typeof body;
    const meta: Metadata = { ...stored, metadataDigest: sha256Hex(utf8(canonicalJson(stored))) };
    const metaPath = this.metaPath(modelId, version);
    // The metadata's temp file (and the version's empty certificate directory) are written and
    // fsync'ed while the blob is; the metadata becomes visible (link) only once the blob is
    // durable, as before: a version never names a blob that is not stored.
    const prepared = io('write metadata', () =>
      prepareExclusive(this.tmp(), metaPath, utf8(JSON.stringify(meta)), 0o644),
    );
    const certDir = io('mkdir', () => ensureDir(this.certDir(modelId, version)));
    prepared.catch(() => undefined);
    certDir.catch(() => undefined);
    try {
      await this.putBlob(digest, v.weights);
      await certDir;
    } catch (e) {
      const tmp = await prepared.catch(() => null);
      if (tmp) await discardPrepared(tmp);
      throw e;
    }
    const tmp = await prepared;
    const created = await io('write metadata', () => commitExclusive(tmp, metaPath));
    if (!created) {
      const existing = await this.readMetadata(modelId, version);
      if (
        !existing ||
        existing.digest !== digest ||
        existing.parentDigest !== v.parentDigest ||
        canonicalJson(existing.trainingProfile) !== canonicalJson(stored.trainingProfile)
      ) {
        throw new ModelStoreError(
          ModelStoreErrorCode.VERSION_CONFLICT,
          `version ${version} of ${modelId} is already stored with other content`,
          { modelId, version, storedDigest: existing?.digest ?? null, digest },
        );
      }
    }
    for (const c of certificateIds) await this.touchCertificate(modelId, version, c);
    const record = await this.getVersion(ModelId(modelId), version);
    if (!record) throw new ModelStoreError(ModelStoreErrorCode.NOT_FOUND, 'version vanished', {});
    return { record, created };
  }

  async getVersion(modelId: ModelId, version: number): Promise<ModelVersionRecord | null> {
    checkId('modelId', modelId);
    checkVersion(version);
    const meta = await this.readMetadata(modelId, version);
    if (!meta) return null;
    const certs = await io('list certificates', async () => {
      try {
        return await readdir(this.certDir(modelId, version));
      } catch (e) {
        if (errnoOf(e) === 'ENOENT') return [];
        throw e;
      }
    });
    return {
      modelId: ModelId(meta.modelId),
      version: meta.version,
      digest: meta.digest,
      parentDigest: meta.parentDigest,
      sizeBytes: meta.sizeBytes,
      format: WEIGHTS_BLOB_FORMAT,
      trainingProfile: meta.trainingProfile as unknown as TrainingProfile,
      certificateIds: certs.sort().map(CertificateId),
      storedAt: meta.storedAt,
    };
  }

  async listVersions(modelId: ModelId): Promise<readonly ModelVersionRecord[]> {
    checkId('modelId', modelId);
    const names = await io('list versions', async () => {
      try {
        return await readdir(join(this.root, 'models', modelId, 'versions'));
      } catch (e) {
        if (errnoOf(e) === 'ENOENT') return [];
        throw e;
      }
    });
    const versions = names
      .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const out: ModelVersionRecord[] = [];
    for (const v of versions) {
      const r = await this.getVersion(modelId, v);
      if (r) out.push(r);
    }
    return out;
  }

  async readWeights(digest: string): Promise<PublicWeights> {
    checkDigest(digest);
    const bytes = await io('read blob', () => readIfExists(this.blobPath(digest)));
    if (!bytes) {
      throw new ModelStoreError(ModelStoreErrorCode.NOT_FOUND, `no weights with digest ${digest}`, {
        digest,
      });
    }
    const actual = sha256Hex(bytes);
    if (actual !== digest) {
      throw new ModelStoreError(
        ModelStoreErrorCode.BLOB_CORRUPT,
        `stored weights ${digest} fail their SHA-256 check`,
        { digest, actual },
      );
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) as PublicWeights;
  }

  async linkCertificate(modelId: ModelId, version: number, certificateId: CertificateId) {
    checkId('modelId', modelId);
    checkVersion(version);
    checkId('certificateId', certificateId);
    if (!(await this.readMetadata(modelId, version))) {
      throw new ModelStoreError(
        ModelStoreErrorCode.NOT_FOUND,
        `version ${version} of ${modelId} is not stored`,
        { modelId, version },
      );
    }
    await this.touchCertificate(modelId, version, certificateId);
    return (await this.getVersion(modelId, version)) as ModelVersionRecord;
  }

  private async putBlob(digest: string, bytes: Uint8Array): Promise<void> {
    const path = this.blobPath(digest);
    const existing = await io('read blob', () => readIfExists(path));
    if (existing && sha256Hex(existing) === digest) return;
    // Absent, or present but damaged: (re)write the verified bytes.
    await io('write blob', () => placeReplacing(this.tmp(), path, bytes, 0o644));
  }

  /** An empty file named by the certificate id, created in place (fs-atomic.ts: no content to tear). */
  private async touchCertificate(modelId: string, version: number, c: string): Promise<void> {
    await io('link certificate', () =>
      createEmptyExclusive(join(this.certDir(modelId, version), c), 0o644),
    );
  }

  private async readMetadata(modelId: string, version: number): Promise<Metadata | null> {
    const raw = await io('read metadata', () => readIfExists(this.metaPath(modelId, version)));
    if (!raw) return null;
    const corrupt = (why: string) =>
      new ModelStoreError(
        ModelStoreErrorCode.METADATA_CORRUPT,
        `metadata of ${modelId} v${version}: ${why}`,
        { modelId, version },
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw corrupt('not JSON');
    }
    const r = metadataSchema.safeParse(parsed);
    if (!r.success) throw corrupt('does not match the schema');
    const { metadataDigest, ...body } = r.data;
    if (sha256Hex(utf8(canonicalJson(body))) !== metadataDigest) throw corrupt('digest mismatch');
    if (r.data.modelId !== modelId || r.data.version !== version) {
      throw corrupt('stored under another model or version');
    }
    return r.data;
  }

  private tmp(): string {
    return join(this.root, 'tmp');
  }

  private blobPath(digest: string): string {
    return join(this.root, blobRelativePath(digest));
  }

  private metaPath(modelId: string, version: number): string {
    return join(this.root, 'models', modelId, 'versions', `${version}.json`);
  }

  private certDir(modelId: string, version: number): string {
    return join(this.root, 'models', modelId, 'versions', `${version}.certificates`);
  }
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
