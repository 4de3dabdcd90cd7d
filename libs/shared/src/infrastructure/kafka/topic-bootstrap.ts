import type { Kafka } from 'kafkajs';

/** A topic to create: its name (a contract TopicName, or any name in tests) and its settings. */
export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions?: number;
  readonly configEntries?: readonly { name: string; value: string }[];
}

export const namespacedTopic = (namespace: string, topic: string): string => `${namespace}${topic}`;

/**
 * Creates the topics an app (or a test, or local infrastructure) needs: the broker runs with
 * auto-create off. Idempotent: existing topics are left as they are. Returns the names that were
 * created now. The one topic-creation helper of the code base.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly (string | TopicSpec)[],
  opts: { namespace?: string; defaultPartitions?: number; replicationFactor?: number } = {},
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = topics
      .map((t) => (typeof t === 'string' ? { topic: t } : t))
      .map((s) => ({ ...s, name: namespacedTopic(opts.namespace ?? '', s.topic) }))
      .filter((s) => !existing.has(s.name));
    if (wanted.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((s) => ({
        topic: s.name,
        numPartitions: s.numPartitions ?? opts.defaultPartitions ?? 6,
        replicationFactor: opts.replicationFactor ?? -1,
        configEntries: s.configEntries ? [...s.configEntries] : [],
      })),
    });
    return wanted.map((s) => s.name);
  } finally {
    await admin.disconnect();
  }
}
