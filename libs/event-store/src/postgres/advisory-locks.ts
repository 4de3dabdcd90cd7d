/**
 * Advisory lock namespaces (first key of pg_*advisory*_lock(int, int)). Transaction-scoped locks
 * assign no transaction id, so holding one never holds back the snapshot xmin of subscribers.
 */
export const AdvisoryLockSpace = {
  /** 'LETO': the single active outbox relay; second key 0. */
  outboxRelay: 0x4c45544f,
  /**
   * 'LETS': appenders of one stream; second key hashtext(stream_id). Taken before the transaction
   * gets its id, so writers of a stream get increasing transaction ids in lock order.
   */
  stream: 0x4c455453,
  /** 'LETP': one runner per projection; second key hashtext(name). */
  projection: 0x4c455450,
} as const;

export const OUTBOX_NOTIFY_CHANNEL = 'lethe_outbox';
