import { Topics } from '@lethe/shared';
import { cloudEventTypeOf, governanceEventMessage } from './governance-cloud-event';

describe('governance CloudEvents', () => {
  it('names types after the event', () => {
    expect(cloudEventTypeOf('DeletionRequested', 1)).toBe('lethe.governance.deletion-requested.v1');
    expect(cloudEventTypeOf('UnlearningJobAttemptFailed', 2)).toBe(
      'lethe.governance.unlearning-job-attempt-failed.v2',
    );
  });

  it('wraps a domain event as structured CloudEvents JSON keyed by aggregate id', () => {
    const msg = governanceEventMessage(
      {
        type: 'ModelRegistered',
        data: { modelId: 'm1' },
        metadata: {
          messageId: 'e-1',
          correlationId: 'c-1',
          causationId: null,
          actor: 'api-key:ml',
          occurredAt: '2026-11-26T12:00:00.000Z',
          schemaVersion: 1,
        },
      },
      { aggregateType: 'model', aggregateId: 'm1' },
      3,
    );
    expect(msg.topic).toBe(Topics.governanceEvents);
    expect(msg.key).toBe('m1');
    expect(msg.headers?.['content-type']).toBe('application/cloudevents+json');
    expect(msg.value).toMatchObject({
      specversion: '1.0',
      id: 'e-1',
      type: 'lethe.governance.model-registered.v1',
      subject: 'model/m1',
      time: '2026-11-26T12:00:00.000Z',
      lethestreamversion: 3,
      data: { modelId: 'm1' },
    });
  });
});
