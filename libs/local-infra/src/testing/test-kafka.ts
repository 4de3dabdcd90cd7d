import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { TestEnv, requireEnv } from './test-env';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';

export interface TestKafka {
  brokers: string[];
  /**
   * Prefix for every topic name and consumer group id of this test file, e.g. `outbox-k3f9a2.`,
   * so files sharing one broker never see each other's messages.
   */
  namespace: string;
  /** Broker version the global setup started (`external` for KAFKA_BROKERS). */
  version: string;
}

/** `${namespace}${topic}`: the topic (or group id) as this test file must name it (one rule, in @lethe/shared). */
export { namespacedTopic };

let memo: TestKafka | undefined;

/** The broker of the jest global setup plus a namespace unique to this test file (memoised per file). */
export function testKafka(): TestKafka {
  if (memo) return memo;
  const brokers = requireEnv(TestEnv.kafkaBrokers, 'no test Kafka broker (LETHE_TEST_KAFKA=off?)')
    .split(',')
    .filter(Boolean);
  memo = {
    brokers,
    namespace: newNamespace(currentTestFile()),
    version: process.env[TestEnv.kafkaVersion] ?? 'unknown',
  };
  return memo;
}

/** A fresh namespace: a slug of `label` plus random hex, ending in a dot. Only [a-z0-9-.] (safe for topics and groups). */
export function newNamespace(label = 't'): string {
  const slug = label
    .toLowerCase()
    .replace(/\.(int-spec|e2e-spec|spec)\.ts$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${slug || 't'}-${randomBytes(4).toString('hex')}.`;
}

function currentTestFile(): string {
  const state = (
    globalThis as { expect?: { getState?: () => { testPath?: string } } }
  ).expect?.getState?.();
  return state?.testPath ? path.basename(state.testPath) : 't';
}
