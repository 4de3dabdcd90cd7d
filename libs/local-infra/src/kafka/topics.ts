import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';

export type TopicSpec = string | ITopicConfig;

/** Creates the topics (1 partition, replication 1 unless given) and waits for their leaders. Existing ones are kept. */
export async function createTopics(brokers: string[], topics: readonly TopicSpec[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({
    clientId: 'lethe-local-infra-admin',
    brokers,
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) =>
        typeof t === 'string'
          ? { topic: t, numPartitions: 1, replicationFactor: 1 }
          : { replicationFactor: 1, ...t },
      ),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics that exist among `topics`. */
export async function deleteTopics(brokers: string[], topics: readonly string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'lethe-local-infra-admin',
    brokers,
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect();
  }
}
