import { Command } from '@nestjs/cqrs';
import type { JobId, ModelId } from '@lethe/shared';
import type { ModelCommand } from '../../../domain/model/model.commands';

type Outcome = Extract<ModelCommand, { type: 'RecordTrainingResult' }>['data']['outcome'];

/**
 * What the worker reported about a model's training job: `trained` registers the version (with
 * its weights digest and public metrics), `failed` records why. A redelivery changes nothing.
 */
export class RecordTrainingResultCommand extends Command<{ modelId: ModelId; recorded: boolean }> {
  constructor(
    readonly modelId: ModelId,
    readonly jobId: JobId,
    readonly attempt: number,
    readonly outcome: Outcome,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
