import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { codedViolations, zodRequestPipe } from '@lethe/shared/infrastructure/http';
import { jobPolicySchema } from '@lethe/unlearning/application/jobs/job-profile';

/**
 * The body of `PUT /v1/models/:id/policy` is the policy itself, validated at the edge with the
 * worker's schema (`jobPolicySchema` of @lethe/unlearning: 400 INVALID_POLICY) and then by the
 * handler against the model's registered architecture and recipe (`jobProfileSchema`). Omitted
 * fields take the worker's defaults.
 */
export class ChangeModelPolicyRequestDto extends createZodDto(jobPolicySchema) {}

/** 400 INVALID_POLICY, as the handler's own check answers. */
export const PolicyPipe = zodRequestPipe(codedViolations('INVALID_POLICY', 'invalid policy'));

export class ChangeModelPolicyResponseDto extends createZodDto(
  z.object({
    modelId: z.string(),
    policy: jobPolicySchema.describe('the policy now in force, with the defaults filled in'),
    revision: z.number().int().describe('policy revision (0: the registered one)'),
    changed: z.boolean().describe('false: the same policy again, nothing recorded'),
  }),
) {}
