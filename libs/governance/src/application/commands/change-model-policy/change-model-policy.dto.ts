import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The body of `PUT /v1/models/:id/policy` is the policy itself, validated by the handler with the
 * worker's schema (`jobPolicySchema` of @lethe/unlearning, through `jobProfileSchema` with the
 * model's registered architecture and recipe). Omitted fields take the worker's defaults.
 */
export class ChangeModelPolicyRequestDto {
  @ApiProperty({
    description: 'Methods in order: the first that honours the policy is used',
    example: ['newton', 'retrain'],
  })
  methods!: string[];
  @ApiPropertyOptional({ example: { epsilon: 1, delta: 1e-5 } })
  target?: { epsilon: number; delta: number };
  @ApiPropertyOptional({ example: { epsilon: 10, delta: 1e-4 } })
  cumulativeBudget?: { epsilon: number; delta: number };
  @ApiPropertyOptional({ description: 'Accuracy floor of the release (0..1)', example: 0.8 })
  accuracyFloor?: number;
}
