import type { MessageMetadata } from '@lethe/shared';

/** What a pure decider emits: a discriminated `type` and its payload; no metadata, no position. */
export interface Event<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * An event ready to append. `metadata.messageId` becomes `events.event_id` (uuid, unique) and
 * `metadata.schemaVersion` becomes `events.schema_version`.
 */
export type NewEvent<E extends Event = Event> = E & { readonly metadata: MessageMetadata };

/** An event as read back from the store, after upcasting. */
export type RecordedEvent<E extends Event = Event> = E & {
  readonly metadata: MessageMetadata;
  readonly eventId: string;
  readonly streamId: string;
  /** 1-based position of the event in its stream. */
  readonly streamVersion: number;
  /** Value of the global sequence: unique, increasing per allocation, NOT commit order. */
  readonly globalPosition: bigint;
  /** xid8 of the transaction that wrote it; with globalPosition it gives the safe global order. */
  readonly transactionId: bigint;
  /** Schema version after upcasting. */
  readonly schemaVersion: number;
  readonly recordedAt: Date;
};
