import { canonicalJson, canonicalJsonBytes } from '@lethe/shared/domain';
import type { JwksDocument } from '../keys/jwks';
import { AUDIT_ENTRY_SCHEMA, type AuditEntry, type OutcomeEntry } from '../log/audit-entry';

/**
 * The auditor export (docs/contracts.md, "Audit export"; docs/adr/0016-audit-export.md).
 *
 * JSONL: one record per line, each line the RFC 8785 canonical JSON of an ExportRecord followed by
 * "\n". Every byte of a line is bound by a check `lethe verify` makes on that record alone (the
 * line must be canonical, so a changed byte changes a value, and every value is recomputed or
 * proven), which is how verify names the record a changed byte is in.
 */
export const EXPORT_FORMATS = ['jsonl', 'csv', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** The formats whose content the manifest describes and `lethe verify` checks. */
export type VerifiableExportFormat = Exclude<ExportFormat, 'pdf'>;

export const EXPORT_MANIFEST_SCHEMA = 'lethe.audit-export-manifest/v1';

/** An outcome entry as exported: the leaf data's fields less `schema` and `kind`. */
export type ExportedOutcome = Omit<OutcomeEntry, 'kind'>;

/** One audit record in the export. */
export interface ExportRecord {
  /** Merkle leaf index (0-based). */
  readonly leafIndex: number;
  readonly kind: 'certificate' | 'outcome';
  /** The certificate's id and compact JWS (null for outcomes). */
  readonly certificateId: string | null;
  readonly jws: string | null;
  /** The outcome's fields (null for certificates). */
  readonly outcome: ExportedOutcome | null;
  /** Hex SHA-256(0x00 ‖ leaf data); the leaf data is rebuilt from the fields above. */
  readonly leafHash: string;
  /** Hex chain hash of the previous entry (32 zero bytes before the first). */
  readonly prevHash: string;
  /** Hex SHA-256(prevHash ‖ leafHash). */
  readonly chainHash: string;
  /** RFC 9162 audit path (hex, bottom up) against the manifest's checkpoint of size treeSize. */
  readonly inclusionProof: { readonly treeSize: number; readonly hashes: readonly string[] };
}

/** The audit entry a record stands for: its canonical JSON is the Merkle leaf data. */
export function entryOfRecord(r: ExportRecord): AuditEntry | null {
  if (r.kind === 'certificate' && r.certificateId !== null && r.jws !== null && !r.outcome) {
    return { kind: 'certificate', certificateId: r.certificateId, jws: r.jws };
  }
  if (r.kind === 'outcome' && r.outcome && r.certificateId === null && r.jws === null) {
    return { ...r.outcome, kind: 'outcome' };
  }
  return null;
}

/** The exact leaf data bytes of a record (canonical JSON of `{ schema, ...entry }`). */
export function leafDataOfEntry(entry: AuditEntry): Buffer {
  return canonicalJsonBytes({ schema: AUDIT_ENTRY_SCHEMA, ...entry });
}

/** A record from an entry's leaf data (the inverse of entryOfRecord). */
export function recordOfEntry(
  entry: AuditEntry,
  fields: Omit<ExportRecord, 'kind' | 'certificateId' | 'jws' | 'outcome'>,
): ExportRecord {
  if (entry.kind === 'certificate') {
    return {
      ...fields,
      kind: 'certificate',
      certificateId: entry.certificateId,
      jws: entry.jws,
      outcome: null,
    };
  }
  const { kind: _kind, ...outcome } = entry;
  return { ...fields, kind: 'outcome', certificateId: null, jws: null, outcome };
}

/**
 * One JSONL line (with its "\n"). The members are written in RFC 8785 order with JSON.stringify,
 * which for these values (strings, integers, null) writes exactly the canonical text; the
 * outcome object, rare and nested, goes through canonicalJson (export-format.spec.ts checks both
 * against canonicalJson).
 */
export function jsonlLine(r: ExportRecord): string {
  const q = JSON.stringify;
  return (
    `{"certificateId":${q(r.certificateId)},"chainHash":${q(r.chainHash)},` +
    `"inclusionProof":{"hashes":${q(r.inclusionProof.hashes)},"treeSize":${q(r.inclusionProof.treeSize)}},` +
    `"jws":${q(r.jws)},"kind":${q(r.kind)},"leafHash":${q(r.leafHash)},"leafIndex":${q(r.leafIndex)},` +
    `"outcome":${r.outcome === null ? 'null' : canonicalJson(r.outcome)},"prevHash":${q(r.prevHash)}}\n`
  );
}

/** A certificate's leaf data is CERT_HEAD + id literal + CERT_JWS[1..] + JWS literal + CERT_TAIL. */
export const CERT_HEAD = '{"certificateId":';
export const CERT_JWS = '","jws":"';
export const CERT_TAIL = `,"kind":"certificate","schema":${JSON.stringify(AUDIT_ENTRY_SCHEMA)}}`;

/** The fields of a record besides the entry, with the audit path already as a JSON array. */
export interface RenderedProofFields {
  readonly leafIndex: number;
  readonly leafHash: string;
  readonly prevHash: string;
  readonly chainHash: string;
  readonly treeSize: number;
  /** JSON.stringify of the hex audit path. */
  readonly hashesJson: string;
}

/**
 * The JSONL line of a certificate entry straight from its leaf data, without parsing it: the leaf
 * data is the RFC 8785 canonical JSON `{"certificateId":…,"jws":…,"kind":"certificate","schema":…}`
 * (entryLeafData), whose string literals are already the canonical renderings jsonlLine writes, so
 * they are copied as they stand. Byte for byte jsonlLine(recordOfEntry(…)) (export-format.spec.ts);
 * null when the data does not have that exact shape (outcomes), and the caller parses.
 */
export function certificateJsonlLine(leafData: string, f: RenderedProofFields): string | null {
  if (!leafData.startsWith(CERT_HEAD) || !leafData.endsWith(CERT_TAIL)) return null;
  // A quote inside a canonical string literal is escaped, so the first `","jws":"` is the boundary.
  const mid = leafData.indexOf(CERT_JWS, CERT_HEAD.length);
  if (mid < 0) return null;
  const id = leafData.slice(CERT_HEAD.length, mid + 1);
  const jws = leafData.slice(mid + CERT_JWS.length - 1, leafData.length - CERT_TAIL.length);
  // A compact JWS is base64url and dots: a literal with no quote or escape inside.
  if (jws.indexOf('"', 1) !== jws.length - 1 || jws.includes('\\')) return null;
  return (
    `{"certificateId":${id},"chainHash":"${f.chainHash}",` +
    `"inclusionProof":{"hashes":${f.hashesJson},"treeSize":${f.treeSize}},` +
    `"jws":${jws},"kind":"certificate","leafHash":"${f.leafHash}","leafIndex":${f.leafIndex},` +
    `"outcome":null,"prevHash":"${f.prevHash}"}\n`
  );
}

/** The CSV header (RFC 4180, comma-separated, "\n" line ends; documented in docs/contracts.md). */
export const CSV_COLUMNS = [
  'leaf_index',
  'kind',
  'certificate_id',
  'jws',
  'outcome',
  'leaf_hash',
  'prev_hash',
  'chain_hash',
  'tree_size',
  'inclusion_proof',
] as const;
export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`;

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * One CSV row (with its "\n"): empty fields for nulls, the outcome as canonical JSON, the audit
 * path as hex hashes joined by ";".
 */
export function csvRow(r: ExportRecord): string {
  return (
    [
      String(r.leafIndex),
      r.kind,
      r.certificateId ?? '',
      r.jws ?? '',
      r.outcome === null ? '' : canonicalJson(r.outcome),
      r.leafHash,
      r.prevHash,
      r.chainHash,
      String(r.inclusionProof.treeSize),
      r.inclusionProof.hashes.join(';'),
    ]
      .map(csvField)
      .join(',') + '\n'
  );
}

/** The fields of one CSV line (no newlines inside fields: the renderer never writes any). */
export function parseCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const j = line.indexOf('"', i);
        if (j < 0) return null;
        v += line.slice(i, j);
        if (line[j + 1] === '"') {
          v += '"';
          i = j + 2;
        } else {
          i = j + 1;
          break;
        }
      }
      out.push(v);
    } else {
      const j = line.indexOf(',', i);
      const end = j < 0 ? line.length : j;
      const v = line.slice(i, end);
      if (v.includes('"')) return null;
      out.push(v);
      i = end;
    }
    if (i === line.length) return out;
    if (line[i] !== ',') return null;
    i++;
  }
}

/** A record from CSV fields, or null when the row has the wrong shape (values unchecked). */
export function recordOfCsvFields(f: readonly string[]): unknown {
  if (f.length !== CSV_COLUMNS.length) return null;
  const [leafIndex, kind, certificateId, jws, outcome, leafHash, prevHash, chainHash, size, path] =
    f as [string, string, string, string, string, string, string, string, string, string];
  let parsedOutcome: unknown = null;
  if (outcome !== '') {
    try {
      parsedOutcome = JSON.parse(outcome);
    } catch {
      return null;
    }
  }
  const int = (s: string): number | null => (/^(0|[1-9]\d{0,15})$/.test(s) ? Number(s) : null);
  return {
    leafIndex: int(leafIndex),
    kind,
    certificateId: certificateId === '' ? null : certificateId,
    jws: jws === '' ? null : jws,
    outcome: parsedOutcome,
    leafHash,
    prevHash,
    chainHash,
    inclusionProof: { treeSize: int(size), hashes: path === '' ? [] : path.split(';') },
  };
}

/** The signed manifest that comes with every export (a JWS, typ lethe-export-manifest+jwt). */
export interface ExportManifestBody {
  readonly schema: typeof EXPORT_MANIFEST_SCHEMA;
  /** The log's origin, as in its checkpoints. */
  readonly origin: string;
  readonly format: VerifiableExportFormat;
  /** The requested range of append times, [from, to) in RFC 3339 (null: unbounded). */
  readonly range: { readonly from: string | null; readonly to: string | null };
  /** The tree size the export was cut at: the checkpoint every inclusion proof is against. */
  readonly treeSize: number;
  readonly firstLeafIndex: number | null;
  readonly lastLeafIndex: number | null;
  readonly recordCount: number;
  readonly contentBytes: number;
  /** Hex SHA-256 of the exported bytes, exactly as served. */
  readonly contentSha256: string;
  /** The signed checkpoint (compact JWS, typ lethe-checkpoint+jwt) of size treeSize. */
  readonly checkpoint: string;
  /** Every key needed to verify the certificates, the checkpoint and this manifest. */
  readonly jwks: JwksDocument;
  readonly issuedAt: string;
}

/** The manifest file: the compact JWS, and its decoded body for people to read. */
export interface ExportManifestFile {
  readonly jws: string;
  readonly body: ExportManifestBody;
}

export function isExportManifestBody(v: unknown): v is ExportManifestBody {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const nat = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  const natOrNull = (x: unknown) => x === null || nat(x);
  const range = o.range as Record<string, unknown> | null;
  const jwks = o.jwks as Record<string, unknown> | null;
  return (
    o.schema === EXPORT_MANIFEST_SCHEMA &&
    typeof o.origin === 'string' &&
    (o.format === 'jsonl' || o.format === 'csv') &&
    typeof range === 'object' &&
    range !== null &&
    (range.from === null || typeof range.from === 'string') &&
    (range.to === null || typeof range.to === 'string') &&
    nat(o.treeSize) &&
    natOrNull(o.firstLeafIndex) &&
    natOrNull(o.lastLeafIndex) &&
    nat(o.recordCount) &&
    nat(o.contentBytes) &&
    typeof o.contentSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(o.contentSha256) &&
    typeof o.checkpoint === 'string' &&
    typeof jwks === 'object' &&
    jwks !== null &&
    Array.isArray(jwks.keys) &&
    typeof o.issuedAt === 'string'
  );
}
