import { Command } from '@nestjs/cqrs';
import type { ModelId } from '@lethe/shared';
import type { ModelProfileJson } from '../../../domain/model/model.events';

/** ml-admin replaces a model's unlearning policy; later unlearning jobs carry it. */
export class ChangeModelPolicyCommand extends Command<{
  modelId: ModelId;
  /** The policy now in force, defaults filled in. */
  policy: ModelProfileJson;
  /** 0: the registered policy; each change adds 1. */
  revision: number;
  /** False when the policy was already the model's (an idempotent PUT). */
  changed: boolean;
}> {
  constructor(
    readonly modelId: ModelId,
    /** The body, validated at the edge with the worker's policy schema and by the handler against the model. */
    readonly policy: unknown,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
