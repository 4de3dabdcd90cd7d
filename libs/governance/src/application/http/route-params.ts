import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * Path parameters of the governance routes, as nestjs-zod DTOs (validated by ZodRequestPipe,
 * described in the OpenAPI document from the same schemas). Ids are opaque here: an unknown one
 * is the handler's 404 with its own code; a malformed one (empty, over 200 characters) a 400.
 */
const opaqueId = (what: string) => z.string().min(1).max(200).describe(what);

export class ModelIdParams extends createZodDto(z.object({ modelId: opaqueId('model id') })) {}
export class DatasetIdParams extends createZodDto(
  z.object({ datasetId: opaqueId('dataset id') }),
) {}
export class JobIdParams extends createZodDto(z.object({ jobId: opaqueId('unlearning job id') })) {}
export class RequestIdParams extends createZodDto(
  z.object({ requestId: opaqueId('deletion request id (UUID)') }),
) {}
export class ModelVersionParams extends createZodDto(
  z.object({
    modelId: opaqueId('model id'),
    version: z
      .string()
      .regex(/^[1-9][0-9]{0,8}$/, 'a version number (1, 2, …)')
      .transform(Number)
      .describe('version number, 1 or more'),
  }),
) {}
