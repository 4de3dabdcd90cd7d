import { Topics } from '@lethe/shared';
import type { NewEvent, OutboxMessage } from '@lethe/event-store';

export const GOVERNANCE_SOURCE = 'urn:lethe:governance';
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** CloudEvents `type` of a governance domain event: `lethe.governance.deletion-requested.v1`. */
const typeCache = new Map<string, string>();
export const cloudEventTypeOf = (eventType: string, schemaVersion: number): string => {
  const key = `${eventType}.v${schemaVersion}`;
  let type = typeCache.get(key);
  if (type === undefined) {
    type = `lethe.governance.${kebab(eventType)}.v${schemaVersion}`;
    typeCache.set(key, type); // a few dozen event types at most
  }
  return type;
};

export interface StreamRef {
  /** `deletion_request`, `model`, `unlearning_job`, `dataset`. */
  readonly aggregateType: string;
  readonly aggregateId: string;
}

/**
 * Every domain event leaves through the outbox to `lethe.governance-events.v1` as a CloudEvents
 * 1.0 structured JSON message keyed by aggregate id (docs/contracts.md §2). Payloads carry subject
 * references only; the raw subject id never reaches an event.
 */
export const governanceEventMessage = (
  event: NewEvent,
  stream: StreamRef,
  streamVersion: number,
): OutboxMessage => ({
  topic: Topics.governanceEvents,
  key: stream.aggregateId,
  value: {
    specversion: '1.0',
    id: event.metadata.messageId,
    source: GOVERNANCE_SOURCE,
    type: cloudEventTypeOf(event.type, event.metadata.schemaVersion),
    subject: `${stream.aggregateType}/${stream.aggregateId}`,
    time: event.metadata.occurredAt,
    datacontenttype: 'application/json',
    letheaggregatetype: stream.aggregateType,
    letheaggregateid: stream.aggregateId,
    lethestreamversion: streamVersion,
    lethecorrelationid: event.metadata.correlationId,
    lethecausationid: event.metadata.causationId,
    data: event.data,
  },
  headers: {
    'content-type': CLOUDEVENTS_JSON,
    'lethe-correlation-id': event.metadata.correlationId,
  },
});
