import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { err, ok, type Result } from '@lethe/shared';
import schema from '../../../contracts/deletion-requested.v1.schema.json';
import { statuteOf } from '../../../domain/deletion-request/deadline';
import { GovernanceError } from '../../../domain/governance.errors';

export const DELETION_REQUESTED_TYPE = 'lethe.deletion.requested.v1';

/** The inbound CloudEvent (docs/contracts.md §3), as validated by `deletion-requested.v1.schema.json`. */
export interface DeletionRequestedCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: typeof DELETION_REQUESTED_TYPE;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: 'application/json';
  readonly dataschema?: string;
  readonly data: {
    readonly subjectId: string;
    readonly scope?: { readonly datasetIds?: string[]; readonly recordIds?: string[] };
    readonly legalBasis: string;
    readonly deadline?: string;
  };
}

export type IntakeResult = Result<DeletionRequestedCloudEvent, GovernanceError>;

const describe = (errors: readonly ErrorObject[] | null | undefined): string =>
  (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

let compiled: ValidateFunction | undefined;
/** The JSON Schema validator, compiled once per process (both doors share it). */
const compiledSchema = (): ValidateFunction => {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
};

/**
 * Validates an inbound deletion event, from bytes (Kafka) or an already parsed body (HTTP), into
 * the same result and the same stable codes. Messages never quote input values, so no subject id
 * reaches a DLQ header or a log line through them.
 */
export class DeletionRequestValidator {
  private readonly validate: ValidateFunction;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(readonly maxBytes: number) {
    this.validate = compiledSchema();
  }

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
    if (!this.validate(value)) {
      return err(
        new GovernanceError('SCHEMA_VIOLATION', describe(this.validate.errors), {
          violations: (this.validate.errors ?? []).slice(0, 10).map((e) => ({
            path: e.instancePath || '/',
            keyword: e.keyword,
            message: e.message,
          })),
        }),
      );
    }
    const event = value as unknown as DeletionRequestedCloudEvent;
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
