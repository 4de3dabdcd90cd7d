import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { GovernanceError } from '../../../domain/governance.errors';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { metadataFor } from '../../metadata';
import { validateModelPolicy } from '../../model-profile';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { ChangeModelPolicyCommand } from './change-model-policy.command';
import type { ModelEvent } from '../../../domain/model/model.events';
import { decidedEvents } from '../../projections/decided-events';
import { modelsInlineView } from '../../projections/models.projection';

/**
 * Validates the policy with the worker's schema against the model's registered architecture and
 * recipe, then `ChangeModelPolicy` on the model's stream (one transaction). Unknown model:
 * MODEL_NOT_FOUND; bad policy: INVALID_POLICY; either way nothing is recorded. Jobs dispatched
 * from now on carry the new policy (docs/adr/0009-unlearning-worker.md).
 */
@CommandHandler(ChangeModelPolicyCommand)
export class ChangeModelPolicyHandler implements ICommandHandler<ChangeModelPolicyCommand> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: ChangeModelPolicyCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const current = await tx.state(streams.model(c.modelId), modelDecider);
      if (current.status === 'absent') {
        throw new GovernanceError('MODEL_NOT_FOUND', `model ${c.modelId} is not registered`, {
          modelId: c.modelId,
        });
      }
      const policy = validateModelPolicy(current.profile, c.policy);
      const target = streams.model(c.modelId);
      const decided = await tx.decide(target, modelDecider, {
        type: 'ChangeModelPolicy',
        data: { modelId: c.modelId, policy, now: this.clock.now().toISOString() },
      });
      const { events, state } = decided;
      if (state.status === 'absent') throw new Error('unreachable: the model was registered');
      // Inline read model: GET /v1/models/:id shows the new policy once this answers (ADR 0005).
      await modelsInlineView.writeDecided(
        tx.manager,
        decided,
        decidedEvents<ModelEvent>(tx, target.streamId, decided),
      );
      return {
        modelId: c.modelId,
        policy: state.policy ?? policy,
        revision: state.policyRevision ?? 0,
        changed: events.length > 0,
      };
    });
  }
}
