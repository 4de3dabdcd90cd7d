import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics, type TopicSpec } from '@lethe/shared/infrastructure/kafka';

export type { TopicSpec };

/**
 * Creates the topics on a local broker (1 partition, replication 1 unless given) and waits for
 * their leaders; existing ones are kept. `ensureTopics` of @lethe/shared with local defaults.
 */
export async function createTopics(
  brokers: string[],
  topics: readonly (string | TopicSpec)[],
): Promise<void> {
  if (topics.length === 0) return;
  const kafka = new Kafka({
    clientId: 'lethe-local-infra-admin',
    brokers,
    logLevel: logLevel.WARN,
  });
  await ensureTopics(kafka, topics, { defaultPartitions: 1, replicationFactor: 1 });
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
