import { Topics } from '@lethe/shared';
import type { NewEvent, OutboxMessage } from '@lethe/event-store';
import { AGGREGATE_ID_SQL, AGGREGATE_TYPE_SQL } from '../stream-sql';

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

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;
/** `to_json(text)::text` escapes as JSON.stringify does (quote, backslash, C0 controls). */
const jsonText = (sqlExpr: string): string => `to_json(${sqlExpr})::text`;
const CLOUD_EVENT_TYPE_SQL = `'lethe.governance.' || lower(regexp_replace(e.type, '([a-z0-9])([A-Z])', '\\1-\\2', 'g')) || '.v' || (e.jmetadata->>'schemaVersion')`;

/**
 * The value of `governanceEventMessage`, built in SQL from the event as `e` (the relation
 * `new_events AS e` of appendToNewStreams, or the stored event the relay reads for an outbox row
 * that names it, OUTBOX_EVENT_RELATION): the same keys in the same order, the metadata fields and
 * `data` as slices of the event's JSON text, the stream's category and id from its name
 * (`<category>-<id>`, stream-names.ts). Built from the stored event (`jsonb`), `data` keeps its
 * JSON value but not Node's text (jsonb orders the keys and writes `": "`). Int spec
 * `intake-one-statement.int-spec.ts` compares the published value with Node's.
 */
export const GOVERNANCE_EVENT_VALUE_SQL = [
  `'{"specversion":"1.0","id":' || (e.metadata->'messageId')::text`,
  `',"source":' || ${sqlText(JSON.stringify(GOVERNANCE_SOURCE))}`,
  `',"type":' || ${jsonText(CLOUD_EVENT_TYPE_SQL)}`,
  `',"subject":' || ${jsonText(`${AGGREGATE_TYPE_SQL} || '/' || ${AGGREGATE_ID_SQL}`)}`,
  `',"time":' || (e.metadata->'occurredAt')::text`,
  `',"datacontenttype":"application/json","letheaggregatetype":' || ${jsonText(AGGREGATE_TYPE_SQL)}`,
  `',"letheaggregateid":' || ${jsonText(AGGREGATE_ID_SQL)}`,
  `',"lethestreamversion":' || e.n::text`,
  `',"lethecorrelationid":' || (e.metadata->'correlationId')::text`,
  `',"lethecausationid":' || (e.metadata->'causationId')::text`,
  `',"data":' || COALESCE(e.data::text, 'null') || '}'`,
].join(' || ');

/** The relay's value expressions by topic (OutboxRelayOptions.eventValue): governance events. */
export const GOVERNANCE_EVENT_VALUES: Readonly<Record<string, string>> = {
  [Topics.governanceEvents]: GOVERNANCE_EVENT_VALUE_SQL,
};

/**
 * The outbox row of each new event `governanceEventMessage` would give, written by the append
 * statement (`NewStreamsSql.outbox` of appendToNewStreams, over `new_events AS e`) without the
 * value: the row names its event, and the relay builds the CloudEvent with
 * GOVERNANCE_EVENT_VALUE_SQL when it publishes (GovernanceOutboxRelay), so the event's data is
 * written once (ADR 0013, "The outbox row names its event").
 */
export const governanceEventOutboxSql = {
  topic: Topics.governanceEvents,
  key: AGGREGATE_ID_SQL,
  // What GOVERNANCE_EVENT_VALUE_SQL reads from the metadata (a missing member makes it NULL): a
  // membership test now, not the value built and thrown away.
  buildable: `e.jmetadata ?& array['messageId', 'occurredAt', 'correlationId', 'causationId', 'schemaVersion']`,
  headers: `jsonb_build_object('content-type', ${sqlText(CLOUDEVENTS_JSON)}, 'lethe-correlation-id', e.jmetadata->>'correlationId')`,
} as const;
