import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';

export const registerDatasetSchema = z.object({
  datasetId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (≤ 128)'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
});

export class RegisterDatasetRequestDto {
  @ApiProperty({ example: 'mnist-demo' }) datasetId!: string;
  @ApiProperty({ example: 'MNIST demo' }) name!: string;
  @ApiPropertyOptional() description?: string;
}
