import { createHash } from 'node:crypto';
import { canonicalJson } from '@lethe/shared/domain';
import {
  CSV_HEADER,
  csvRow,
  entryOfRecord,
  isExportManifestBody,
  jsonlLine,
  leafDataOfEntry,
  parseCsvLine,
  recordOfCsvFields,
  type ExportManifestBody,
  type ExportRecord,
} from '../../domain/export/export-format';
import type { JwksDocument } from '../../domain/keys/jwks';
import { chainHash, GENESIS_CHAIN_HASH } from '../../domain/log/audit-entry';
import type { CheckpointBody } from '../../domain/log/checkpoint';
import { leafHash, verifyInclusion } from '../../domain/merkle/rfc6962';

/**
 * Offline verification of an audit export against its signed manifest (`lethe verify`,
 * docs/adr/0016-audit-export.md). Nothing here reaches a network or a database: the keys are the
 * manifest's JWKS (or a JWKS the auditor pinned), the root is the manifest's signed checkpoint.
 */

/** Signature checks, done with a JOSE library (adapter: infrastructure/jose/export-verifier.ts). */
export interface ExportJwsVerifier {
  /** Verifies a certificate JWS (signature, kid, key window, payload schema); its id and kid. */
  certificate(jws: string, jwks: JwksDocument): Promise<{ certificateId: string; kid: string }>;
  checkpoint(jws: string, jwks: JwksDocument): Promise<{ body: CheckpointBody; kid: string }>;
  manifest(jws: string, jwks: JwksDocument): Promise<{ body: ExportManifestBody; kid: string }>;
}

/** Which check failed: stable names, printed by `lethe verify` and documented in docs/contracts.md. */
export type ExportCheck =
  | 'manifest-file'
  | 'manifest-signature'
  | 'checkpoint-signature'
  | 'checkpoint-match'
  | 'csv-header'
  | 'line-json'
  | 'line-canonical'
  | 'line-terminator'
  | 'record-shape'
  | 'leaf-order'
  | 'tree-size'
  | 'leaf-hash'
  | 'chain-hash'
  | 'chain-link'
  | 'chain-head'
  | 'inclusion-proof'
  | 'certificate-signature'
  | 'manifest-count'
  | 'manifest-range'
  | 'manifest-bytes'
  | 'manifest-sha256';

export interface ExportProblem {
  readonly check: ExportCheck;
  readonly message: string;
  /** 1-based line of the export (null for a problem of the manifest or the whole file). */
  readonly line: number | null;
  readonly leafIndex: number | null;
  readonly certificateId: string | null;
}

export interface ExportSummary {
  readonly format: 'jsonl' | 'csv';
  readonly records: number;
  readonly certificates: number;
  readonly outcomes: number;
  readonly firstLeafIndex: number | null;
  readonly lastLeafIndex: number | null;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly origin: string;
  readonly contentBytes: number;
  readonly contentSha256: string;
  readonly checkpointKid: string;
  readonly manifestKid: string;
  /** Key ids that signed the certificates, with how many each. */
  readonly certificateKids: Readonly<Record<string, number>>;
}

export type ExportVerification =
  | { readonly ok: true; readonly summary: ExportSummary }
  | { readonly ok: false; readonly problem: ExportProblem; readonly recordsChecked: number };

export interface VerifyExportOptions {
  /** Verify every signature with this JWKS instead of the manifest's (a pinned, trusted set). */
  readonly trustedJwks?: JwksDocument;
  /** Called with the bytes read so far (progress bars). */
  readonly onProgress?: (bytes: number) => void;
}

class Failure extends Error {
  constructor(readonly problem: ExportProblem) {
    super(problem.message);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const isHex64 = (v: unknown): v is string => typeof v === 'string' && HEX64.test(v);

/** The record's fields with their JSON types checked (values unchecked), or null. */
function asRecord(v: unknown): ExportRecord | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (
    keys !== 'certificateId,chainHash,inclusionProof,jws,kind,leafHash,leafIndex,outcome,prevHash'
  ) {
    return null;
  }
  const proof = o.inclusionProof as Record<string, unknown> | null;
  const ok =
    Number.isSafeInteger(o.leafIndex) &&
    (o.leafIndex as number) >= 0 &&
    (o.kind === 'certificate' || o.kind === 'outcome') &&
    (o.certificateId === null || typeof o.certificateId === 'string') &&
    (o.jws === null || typeof o.jws === 'string') &&
    (o.outcome === null || (typeof o.outcome === 'object' && !Array.isArray(o.outcome))) &&
    isHex64(o.leafHash) &&
    isHex64(o.prevHash) &&
    isHex64(o.chainHash) &&
    typeof proof === 'object' &&
    proof !== null &&
    Object.keys(proof).sort().join(',') === 'hashes,treeSize' &&
    Number.isSafeInteger(proof.treeSize) &&
    Array.isArray(proof.hashes) &&
    proof.hashes.every(isHex64);
  return ok ? (o as unknown as ExportRecord) : null;
}

/** The body of a compact JWS, decoded without verifying (to find the JWKS it carries). */
function unverifiedPayload(jws: string): unknown {
  const parts = jws.split('.');
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/** Splits a byte stream into lines (without "\n"), counting and hashing every byte on the way. */
async function* byteLines(
  source: AsyncIterable<Buffer | string>,
  sink: { sha: ReturnType<typeof createHash>; bytes: number; onProgress?: (n: number) => void },
): AsyncGenerator<{ bytes: Buffer; terminated: boolean }> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    sink.sha.update(chunk);
    sink.bytes += chunk.length;
    sink.onProgress?.(sink.bytes);
    const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      yield { bytes: buf.subarray(start, nl), terminated: true };
      start = nl + 1;
    }
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length > 0) yield { bytes: rest, terminated: false };
}

/**
 * Checks, in order, stopping at the first failure: the manifest's signature; the checkpoint's
 * signature and that it is the manifest's; then each record (line parses, is exactly the
 * canonical rendering, has the record shape, comes in leaf order inside the manifest's range,
 * leaf hash = SHA-256(0x00 ‖ leaf data rebuilt from its fields), chain hash = SHA-256(prev ‖
 * leaf), links to the record before it when consecutive, ends at the signed chain head when it is
 * the checkpoint's last leaf, its inclusion proof leads to the signed root, and a certificate's JWS
 * verifies with a key valid at its issuedAt); finally the manifest's count, range, size and
 * SHA-256 of the content.
 */
export async function verifyExport(
  content: AsyncIterable<Buffer | string>,
  manifestFile: unknown,
  verifier: ExportJwsVerifier,
  options: VerifyExportOptions = {},
): Promise<ExportVerification> {
  let checked = 0;
  try {
    return { ok: true, summary: await run() };
  } catch (e) {
    if (e instanceof Failure) return { ok: false, problem: e.problem, recordsChecked: checked };
    throw e;
  }

  async function run(): Promise<ExportSummary> {
    const fail = (
      check: ExportCheck,
      message: string,
      at: { line?: number; leafIndex?: number | null; certificateId?: string | null } = {},
    ): never => {
      throw new Failure({
        check,
        message,
        line: at.line ?? null,
        leafIndex: at.leafIndex ?? null,
        certificateId: at.certificateId ?? null,
      });
    };
    // The manifest.
    const file = manifestFile as { jws?: unknown; body?: unknown } | null;
    if (typeof file !== 'object' || file === null || typeof file.jws !== 'string') {
      return fail('manifest-file', 'the manifest file has no "jws" member');
    }
    const claimed = unverifiedPayload(file.jws);
    if (!isExportManifestBody(claimed))
      return fail(
        'manifest-file',
        'the manifest JWS does not carry a lethe.audit-export-manifest/v1 body',
      );
    const jwks = options.trustedJwks ?? claimed.jwks;
    let manifest: ExportManifestBody;
    let manifestKid: string;
    try {
      ({ body: manifest, kid: manifestKid } = await verifier.manifest(file.jws, jwks));
    } catch (e) {
      return fail(
        'manifest-signature',
        `the manifest's signature does not verify: ${(e as Error).message}`,
      );
    }
    if (file.body !== undefined && canonicalJson(file.body) !== canonicalJson(manifest)) {
      return fail(
        'manifest-file',
        'the manifest\'s readable "body" differs from its signed payload',
      );
    }
    // The checkpoint.
    let checkpoint: CheckpointBody;
    let checkpointKid: string;
    try {
      ({ body: checkpoint, kid: checkpointKid } = await verifier.checkpoint(
        manifest.checkpoint,
        jwks,
      ));
    } catch (e) {
      return fail(
        'checkpoint-signature',
        `the checkpoint's signature does not verify: ${(e as Error).message}`,
      );
    }
    if (checkpoint.treeSize !== manifest.treeSize || checkpoint.origin !== manifest.origin) {
      return fail(
        'checkpoint-match',
        `the checkpoint (${checkpoint.origin}, size ${checkpoint.treeSize}) is not the manifest's (${manifest.origin}, size ${manifest.treeSize})`,
      );
    }
    const root = Buffer.from(checkpoint.rootHash, 'hex');
    const contiguous =
      manifest.firstLeafIndex !== null &&
      manifest.lastLeafIndex !== null &&
      manifest.recordCount === manifest.lastLeafIndex - manifest.firstLeafIndex + 1;

    // The records.
    const sink = { sha: createHash('sha256'), bytes: 0, onProgress: options.onProgress };
    const certificateKids: Record<string, number> = {};
    let lineNo = 0;
    let previous: ExportRecord | null = null;
    let certificates = 0;
    for await (const { bytes, terminated } of byteLines(content, sink)) {
      lineNo++;
      const text = bytes.toString('utf8');
      if (manifest.format === 'csv' && lineNo === 1) {
        if (`${text}\n` !== CSV_HEADER || !terminated)
          fail('csv-header', 'the first line is not the CSV header', { line: 1 });
        continue;
      }
      const hint = /"?certificateId"?\W+([A-Za-z0-9._:-]+)/.exec(text)?.[1] ?? null;
      let record: ExportRecord | null;
      let rendered: string;
      if (manifest.format === 'csv') {
        const fields = parseCsvLine(text);
        if (!fields) fail('line-json', 'the row is not CSV', { line: lineNo });
        record = asRecord(recordOfCsvFields(fields as string[]));
        if (!record)
          fail('record-shape', 'the row does not have the record columns and types', {
            line: lineNo,
          });
        rendered = csvRow(record as ExportRecord);
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          fail('line-json', 'the line is not JSON', { line: lineNo, certificateId: hint });
        }
        record = asRecord(parsed);
        if (!record)
          fail('record-shape', 'the line does not have the record members and types', {
            line: lineNo,
            certificateId: hint,
          });
        rendered = jsonlLine(record as ExportRecord);
      }
      const r = record as ExportRecord;
      const at = { line: lineNo, leafIndex: r.leafIndex, certificateId: r.certificateId };
      if (!Buffer.from(rendered, 'utf8').equals(Buffer.concat([bytes, Buffer.from('\n')]))) {
        fail('line-canonical', 'the line is not the canonical rendering of its values', at);
      }
      if (!terminated) fail('line-terminator', 'the last line does not end with a newline', at);
      // Order and range.
      if (previous ? r.leafIndex <= previous.leafIndex : r.leafIndex !== manifest.firstLeafIndex) {
        fail(
          'leaf-order',
          previous
            ? `leaf ${r.leafIndex} does not come after leaf ${previous.leafIndex}`
            : `the first record is leaf ${r.leafIndex}, the manifest says ${String(manifest.firstLeafIndex)}`,
          at,
        );
      }
      // A range of append times is a run of consecutive leaves (appends never go back in time):
      // then a gap is a record left out, named here rather than only by the count at the end.
      if (contiguous && previous && r.leafIndex !== previous.leafIndex + 1)
        fail(
          'leaf-order',
          `leaf ${r.leafIndex} follows leaf ${previous.leafIndex}: a record is missing`,
          at,
        );
      if (manifest.lastLeafIndex === null || r.leafIndex > manifest.lastLeafIndex)
        fail(
          'leaf-order',
          `leaf ${r.leafIndex} lies after the manifest's last leaf ${String(manifest.lastLeafIndex)}`,
          at,
        );
      if (r.inclusionProof.treeSize !== checkpoint.treeSize)
        fail(
          'tree-size',
          `the proof is against size ${r.inclusionProof.treeSize}, the checkpoint has ${checkpoint.treeSize}`,
          at,
        );
      // Leaf and chain.
      const entry = entryOfRecord(r);
      if (!entry)
        return fail('record-shape', 'kind, certificateId, jws and outcome do not agree', at);
      let data: Buffer;
      try {
        data = leafDataOfEntry(entry);
      } catch (e) {
        return fail('record-shape', `the entry is not canonical JSON: ${(e as Error).message}`, at);
      }
      const leaf = leafHash(data);
      if (leaf.toString('hex') !== r.leafHash)
        fail('leaf-hash', 'leafHash is not SHA-256(0x00 ‖ the leaf data its fields make)', at);
      const prev = Buffer.from(r.prevHash, 'hex');
      if (chainHash(prev, leaf).toString('hex') !== r.chainHash)
        fail('chain-hash', 'chainHash is not SHA-256(prevHash ‖ leafHash)', at);
      if (r.leafIndex === 0 && !prev.equals(GENESIS_CHAIN_HASH))
        fail('chain-link', 'the first entry of the log must follow the zero chain hash', at);
      if (previous && previous.leafIndex + 1 === r.leafIndex && previous.chainHash !== r.prevHash)
        fail('chain-link', `prevHash is not the chain hash of leaf ${previous.leafIndex}`, at);
      if (r.leafIndex === checkpoint.treeSize - 1 && r.chainHash !== checkpoint.chainHead)
        fail('chain-head', 'the last leaf of the tree does not end at the signed chain head', at);
      // Inclusion.
      try {
        verifyInclusion(
          r.leafIndex,
          checkpoint.treeSize,
          leaf,
          r.inclusionProof.hashes.map((h) => Buffer.from(h, 'hex')),
          root,
        );
      } catch (e) {
        fail(
          'inclusion-proof',
          `the inclusion proof does not lead to the signed root: ${(e as Error).message}`,
          at,
        );
      }
      // Signature.
      if (entry.kind === 'certificate') {
        try {
          const verified = await verifier.certificate(entry.jws, jwks);
          if (verified.certificateId !== entry.certificateId)
            fail(
              'certificate-signature',
              `the signed certificate is ${verified.certificateId}`,
              at,
            );
          certificateKids[verified.kid] = (certificateKids[verified.kid] ?? 0) + 1;
          certificates++;
        } catch (e) {
          if (e instanceof Failure) throw e;
          fail(
            'certificate-signature',
            `the certificate does not verify: ${(e as Error).message}`,
            at,
          );
        }
      }
      previous = r;
      checked++;
    }

    // The manifest's totals.
    const records = checked;
    if (records !== manifest.recordCount)
      fail(
        'manifest-count',
        `the export holds ${records} records, the manifest says ${manifest.recordCount}`,
      );
    if ((previous?.leafIndex ?? null) !== manifest.lastLeafIndex)
      fail(
        'manifest-range',
        `the last record is leaf ${String(previous?.leafIndex ?? null)}, the manifest says ${String(manifest.lastLeafIndex)}`,
      );
    if (sink.bytes !== manifest.contentBytes)
      fail(
        'manifest-bytes',
        `the export has ${sink.bytes} bytes, the manifest says ${manifest.contentBytes}`,
      );
    const sha = sink.sha.digest('hex');
    if (sha !== manifest.contentSha256)
      fail(
        'manifest-sha256',
        `the export's SHA-256 is ${sha}, the manifest says ${manifest.contentSha256}`,
      );
    return {
      format: manifest.format,
      records,
      certificates,
      outcomes: records - certificates,
      firstLeafIndex: manifest.firstLeafIndex,
      lastLeafIndex: manifest.lastLeafIndex,
      treeSize: checkpoint.treeSize,
      rootHash: checkpoint.rootHash,
      origin: checkpoint.origin,
      contentBytes: sink.bytes,
      contentSha256: sha,
      checkpointKid,
      manifestKid,
      certificateKids,
    };
  }
}
