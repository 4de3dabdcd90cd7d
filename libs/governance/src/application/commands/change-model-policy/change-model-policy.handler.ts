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
      const { events, state } = await tx.decide(streams.model(c.modelId), modelDecider, {
        type: 'ChangeModelPolicy',
        data: { modelId: c.modelId, policy, now: this.clock.now().toISOString() },
      });
      if (state.status === 'absent') throw new Error('unreachable: the model was registered');
      return {
        modelId: c.modelId,
        policy: state.policy ?? policy,
        revision: state.policyRevision ?? 0,
        changed: events.length > 0,
      };
    });
  }
}
