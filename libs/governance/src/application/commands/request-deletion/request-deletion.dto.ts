import { createZodDto } from 'nestjs-zod';
import type { z } from 'zod/v4';
import { err, ok, type Result } from '@lethe/shared';
import {
  DELETION_REQUESTED_TYPE,
  deletionRequestedDataSchema,
  deletionRequestedSchema,
  type DeletionRequestedCloudEvent,
} from '../../../contracts/deletion-requested.v1';
import { statuteOf } from '../../../domain/deletion-request/deadline';
import { GovernanceError } from '../../../domain/governance.errors';

export { DELETION_REQUESTED_TYPE, type DeletionRequestedCloudEvent };

/** The request body of POST /v1/deletion-requests in the OpenAPI document (the same schema). */
export class DeletionRequestedCloudEventDto extends createZodDto(deletionRequestedSchema) {}

export type IntakeResult = Result<DeletionRequestedCloudEvent, GovernanceError>;

/** A violation as a path and a rule: zod 4's messages name types and rules, never input values. */
const violationsOf = (issues: readonly z.core.$ZodIssue[]) =>
  issues.slice(0, 10).map((i) => ({
    path: i.path.length === 0 ? '/' : `/${i.path.map(String).join('/')}`,
    keyword: i.code,
    message: i.message,
  }));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The RFC 3339 pattern zod checks `z.iso.datetime({ offset: true })` with (the same regex). */
const INSTANT: RegExp | undefined = (
  deletionRequestedDataSchema.shape.deadline.unwrap() as unknown as {
    _zod: { pattern?: RegExp };
  }
)._zod.pattern;

const LEGAL_BASIS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_LEVEL = new Set(Object.keys(deletionRequestedSchema.shape));
const DATA_KEYS = new Set(['subjectId', 'scope', 'legalBasis', 'deadline']);
const SCOPE_KEYS = new Set(['datasetIds', 'recordIds']);

const isId = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= max;
const isInstant = (v: unknown): v is string =>
  typeof v === 'string' && INSTANT !== undefined && INSTANT.test(v);

/** A non-empty array of distinct ids (1..200 each), at most `max`: a copy, else undefined. */
const idSetOf = (v: unknown, max: number): string[] | undefined => {
  if (!Array.isArray(v) || v.length < 1 || v.length > max) return undefined;
  for (const x of v) if (!isId(x, 200)) return undefined;
  return new Set(v).size === v.length ? [...(v as string[])] : undefined;
};

/** Whether every own key of `v` is one of `keys` (a strict object's rule). */
const onlyKeys = (v: Record<string, unknown>, keys: ReadonlySet<string>): boolean => {
  for (const k of Object.keys(v)) if (!keys.has(k)) return false;
  return true;
};

/**
 * The schema's output for the common shape of a valid event, without zod's general machinery
 * (the intake's hot path): every field checked by the same rule the schema states, the output
 * built as zod builds it (a new object, members in the schema's order, unknown top-level
 * attributes dropped, present members only, arrays copied). Anything else — a `dataschema`, a
 * member present as `undefined`, anything invalid — answers `undefined` and goes through the
 * schema itself, so every error still comes from zod. request-deletion.dto.spec.ts compares the
 * two over many generated events.
 */
export const commonShapeOf = (
  v: Record<string, unknown>,
): DeletionRequestedCloudEvent | undefined => {
  if (v.specversion !== '1.0' || v.type !== DELETION_REQUESTED_TYPE) return undefined;
  if (!isId(v.id, 200) || !isId(v.source, 500)) return undefined;
  for (const k of Object.keys(v)) if (v[k] === undefined && TOP_LEVEL.has(k)) return undefined;
  if (v.dataschema !== undefined) return undefined;
  if (v.subject !== undefined && !isId(v.subject, 200)) return undefined;
  if (v.time !== undefined && !isInstant(v.time)) return undefined;
  if (v.datacontenttype !== undefined && v.datacontenttype !== 'application/json') return undefined;
  const d = v.data;
  if (!isRecord(d) || !onlyKeys(d, DATA_KEYS)) return undefined;
  for (const k of Object.keys(d)) if (d[k] === undefined) return undefined;
  if (!isId(d.subjectId, 200)) return undefined;
  if (typeof d.legalBasis !== 'string' || !LEGAL_BASIS.test(d.legalBasis)) return undefined;
  if (d.deadline !== undefined && !isInstant(d.deadline)) return undefined;
  let scope: { datasetIds?: string[]; recordIds?: string[] } | undefined;
  if (d.scope !== undefined) {
    const sc = d.scope;
    if (!isRecord(sc) || !onlyKeys(sc, SCOPE_KEYS)) return undefined;
    scope = {};
    if (sc.datasetIds !== undefined) {
      const ids = idSetOf(sc.datasetIds, 100);
      if (!ids) return undefined;
      scope.datasetIds = ids;
    } else if ('datasetIds' in sc) return undefined;
    if (sc.recordIds !== undefined) {
      const ids = idSetOf(sc.recordIds, 10_000);
      if (!ids) return undefined;
      scope.recordIds = ids;
    } else if ('recordIds' in sc) return undefined;
  }
  const data: Record<string, unknown> = { subjectId: d.subjectId };
  if (scope !== undefined) data.scope = scope;
  data.legalBasis = d.legalBasis;
  if (d.deadline !== undefined) data.deadline = d.deadline;
  const out: Record<string, unknown> = {
    specversion: v.specversion,
    id: v.id,
    source: v.source,
    type: v.type,
  };
  if (v.subject !== undefined) out.subject = v.subject;
  if (v.time !== undefined) out.time = v.time;
  if (v.datacontenttype !== undefined) out.datacontenttype = v.datacontenttype;
  out.data = data;
  return out as DeletionRequestedCloudEvent;
};

/**
 * Validates an inbound deletion event, from bytes (Kafka) or an already parsed body (HTTP), into
 * the same result and the same stable codes. Messages never quote input values, so no subject id
 * reaches a DLQ header or a log line through them.
 */
export class DeletionRequestValidator {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(readonly maxBytes: number) {}

  fromBytes(bytes: Buffer | null): IntakeResult {
    if (bytes === null || bytes.length === 0) {
      return err(new GovernanceError('INVALID_JSON', 'empty message value'));
    }
    if (bytes.length > this.maxBytes) {
      return err(
        new GovernanceError(
          'PAYLOAD_TOO_LARGE',
          `message value is ${bytes.length} bytes, the limit is ${this.maxBytes}`,
          { size: bytes.length, limit: this.maxBytes },
        ),
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.decoder.decode(bytes));
    } catch (e) {
      const position = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
      return err(
        new GovernanceError(
          'INVALID_JSON',
          position
            ? `value is not valid UTF-8 JSON (near byte ${position})`
            : 'value is not valid UTF-8 JSON',
        ),
      );
    }
    return this.fromValue(parsed);
  }

  fromValue(value: unknown): IntakeResult {
    if (!isRecord(value)) {
      return err(new GovernanceError('SCHEMA_VIOLATION', 'a CloudEvent must be a JSON object'));
    }
    if (value.specversion !== undefined && value.specversion !== '1.0') {
      return err(
        new GovernanceError(
          'UNSUPPORTED_SPECVERSION',
          'only CloudEvents specversion "1.0" is accepted',
        ),
      );
    }
    if (typeof value.type === 'string' && value.type !== DELETION_REQUESTED_TYPE) {
      return err(
        new GovernanceError('UNKNOWN_TYPE', `event type is not ${DELETION_REQUESTED_TYPE}`, {
          type: value.type.slice(0, 200),
        }),
      );
    }
    if (value.datacontenttype !== undefined && value.datacontenttype !== 'application/json') {
      return err(
        new GovernanceError('UNSUPPORTED_CONTENT_TYPE', 'datacontenttype must be application/json'),
      );
    }
    const fast = commonShapeOf(value);
    const parsed =
      fast === undefined
        ? deletionRequestedSchema.safeParse(value)
        : { success: true as const, data: fast };
    if (!parsed.success) {
      const violations = violationsOf(parsed.error.issues);
      return err(
        new GovernanceError(
          'SCHEMA_VIOLATION',
          violations
            .slice(0, 5)
            .map((v) => `${v.path} ${v.message}`)
            .join('; '),
          { violations },
        ),
      );
    }
    const event = parsed.data;
    if (event.subject !== undefined && event.subject !== event.data.subjectId) {
      return err(
        new GovernanceError('SUBJECT_MISMATCH', 'CloudEvents subject differs from data.subjectId'),
      );
    }
    if (statuteOf(event.data.legalBasis) === null && event.data.deadline === undefined) {
      return err(
        new GovernanceError(
          'DEADLINE_REQUIRED',
          'legalBasis names no known statute (gdpr-*, ccpa-*): data.deadline is required',
        ),
      );
    }
    return ok(event);
  }
}
