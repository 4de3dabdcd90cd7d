/**
 * The baseline of bench/intake/validation.bench.ts: the CloudEvent schema check as it was before
 * the intake moved to zod (ajv 8, JSON Schema 2020-12, ajv-formats, compiled once), kept here
 * only to be measured against. ajv and ajv-formats are dev dependencies for this file alone.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import schema from './deletion-requested.v1.schema.json';

export function compileAjvValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema);
}
