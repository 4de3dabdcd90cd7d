import { deciderSpec } from '../../testing/decider-specification';
import {
  aModelId as modelId,
  modelT0 as t0,
  registeredForTraining,
  registerModelForTraining,
} from '../../testing/model.factory';
import { modelDecider } from './model.decider';
import type { ModelEvent } from './model.events';

const spec = deciderSpec(modelDecider);
const t1 = '2026-11-29T13:00:00.000Z';
const newtonThenRetrain = {
  methods: ['newton', 'retrain'],
  target: { epsilon: 1, delta: 1e-5 },
};
const retrainOnly = { methods: ['retrain'], target: { epsilon: 1, delta: 1e-5 } };
const profile = { architecture: { kind: 'logistic-regression' }, policy: newtonThenRetrain };

const registeredWithProfile = registeredForTraining({ profile, policy: newtonThenRetrain });
const change = (policy: Record<string, unknown>) => ({
  type: 'ChangeModelPolicy' as const,
  data: { modelId, policy, now: t1 },
});
const changed = (revision: number, policy: Record<string, unknown>): ModelEvent => ({
  type: 'ModelPolicyChanged',
  data: { modelId, revision, policy, changedAt: t1 },
});
const stateAfter = (events: readonly ModelEvent[]) =>
  events.reduce(modelDecider.evolve, modelDecider.initialState());

describe('model decider: the policy per model', () => {
  it('registering with a profile keeps it, and its policy is revision 0', () => {
    spec
      .given([])
      .when(registerModelForTraining({ profile, policy: newtonThenRetrain }))
      .then(registeredWithProfile);
    expect(stateAfter(registeredWithProfile)).toMatchObject({
      profile,
      policy: newtonThenRetrain,
      policyRevision: 0,
    });
  });

  it('a new policy is revision 1, then 2; the state holds the latest', () => {
    spec
      .given(registeredWithProfile)
      .when(change(retrainOnly))
      .then([changed(1, retrainOnly)]);
    spec
      .given([...registeredWithProfile, changed(1, retrainOnly)])
      .when(change(newtonThenRetrain))
      .then([changed(2, newtonThenRetrain)]);
    expect(
      stateAfter([
        ...registeredWithProfile,
        changed(1, retrainOnly),
        changed(2, newtonThenRetrain),
      ]),
    ).toMatchObject({ policy: newtonThenRetrain, policyRevision: 2 });
  });

  it('the registered policy is the validated one (defaults filled in), not the raw profile part', () => {
    const completed = { ...newtonThenRetrain, newton: { damping: 1 } };
    const events: ModelEvent[] = [
      {
        type: 'ModelRegistered',
        data: {
          modelId,
          name: 'Credit LR',
          description: null,
          registeredAt: t0,
          profile,
          policy: completed,
        },
      },
    ];
    expect(stateAfter(events)).toMatchObject({ policy: completed, policyRevision: 0 });
  });

  it('the same policy again changes nothing, whatever the key order', () => {
    spec
      .given(registeredWithProfile)
      .when(change({ target: { delta: 1e-5, epsilon: 1 }, methods: ['newton', 'retrain'] }))
      .thenNothing();
    spec
      .given([...registeredWithProfile, changed(1, retrainOnly)])
      .when(change(retrainOnly))
      .thenNothing();
  });

  it('a model registered without a profile gets its first policy as revision 1', () => {
    const plain: ModelEvent[] = [
      {
        type: 'ModelRegistered',
        data: { modelId, name: 'Credit LR', description: null, registeredAt: t0 },
      },
    ];
    expect(stateAfter(plain)).toMatchObject({ policy: null, policyRevision: 0 });
    spec
      .given(plain)
      .when(change(retrainOnly))
      .then([changed(1, retrainOnly)]);
  });

  it('refuses a policy for a model that is not registered', () => {
    spec.given([]).when(change(retrainOnly)).thenThrows('MODEL_NOT_FOUND', { modelId });
  });
});
