/** A message to publish to Kafka through the transactional outbox. */
export interface OutboxMessage {
  /** Contract topic name without namespace (the relay maps it with `topicName`). */
  readonly topic: string;
  /** Kafka key (e.g. modelId, aggregate id). Same key ⇒ same partition ⇒ relayed in order. */
  readonly key: string | null;
  /** Buffer as is, string as UTF-8, anything else as JSON. `null` is a tombstone. */
  readonly value: Buffer | string | object | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Header the relay adds to every Kafka message: the outbox row id, for consumer-side dedup. */
export const OUTBOX_ID_HEADER = 'lethe-outbox-id';
