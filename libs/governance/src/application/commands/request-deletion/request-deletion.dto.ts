import { createZodDto } from 'nestjs-zod';
import type { z } from 'zod/v4';
import { err, ok, type Result } from '@lethe/shared';
import {
  DELETION_REQUESTED_TYPE,
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
    const parsed = deletionRequestedSchema.safeParse(value);
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
