import type { Logger } from 'pino';
import { startLocalKafka } from '@lethe/local-infra';

/**
 * LETHE_LOCAL_INFRA=1 without KAFKA_BROKERS (development only; the configuration refuses it in
 * production): a local Kafka broker for this process. To work with a governance service, point
 * both at one broker with KAFKA_BROKERS instead. Reached only from main.ts.
 */
export async function startLocalBroker(
  logger: Logger,
): Promise<{ brokers: string[]; stop(): Promise<void> }> {
  const kafka = await startLocalKafka({
    logger: { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) },
  });
  return { brokers: kafka.brokers, stop: () => kafka.stop() };
}
