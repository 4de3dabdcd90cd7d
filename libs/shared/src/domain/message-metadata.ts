/** Metadata carried by every event and message (docs/contracts.md §1). */
export interface MessageMetadata {
  /** Unique id of this message. */
  readonly messageId: string;
  /** Ties together everything caused by one inbound request or event. */
  readonly correlationId: string;
  /** Id of the message that directly caused this one (the inbound event id for intake). */
  readonly causationId: string | null;
  /** Who caused it: `api-key:<name>`, `kafka:<source>`, `system:<component>`. */
  readonly actor: string;
  /** ISO-8601 instant. */
  readonly occurredAt: string;
  /** Schema version of the payload, for upcasting. */
  readonly schemaVersion: number;
}
