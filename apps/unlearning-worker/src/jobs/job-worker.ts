import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { Topics } from '@lethe/shared';
import { ensureTopics } from '@lethe/shared/infrastructure/kafka';
import { JoseAuditSigner } from '@lethe/audit/infrastructure/jose/jose-audit-signer';
import { keyRingFromEnv } from '@lethe/audit/infrastructure/jose/key-ring';
import { JobDataCache } from '@lethe/unlearning/application/jobs/job-data-cache';
import { KeptFactorCache } from '@lethe/unlearning/application/jobs/kept-factor-cache';
import { JobRunner } from '@lethe/unlearning/application/jobs/job-runner';
import { DirectoryJobJournal } from '@lethe/unlearning/infrastructure/jobs/directory-job-journal';
import {
  KafkaJobConsumer,
  type JobConsumerHealth,
} from '@lethe/unlearning/infrastructure/kafka/kafka-job-consumer';
import {
  DirectoryModelStore,
  DirectoryPrivateChainStore,
  createDatasetSource,
  tfjsEngine,
} from '@lethe/unlearning';
import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { LetheMetrics } from '@lethe/shared/infrastructure/metrics';
import type { ResultSink } from '@lethe/unlearning/application/jobs/job-ports';
import type { WorkerConfig } from '../config';

/** The running job consumer, or nothing when the worker runs without Kafka. */
export interface JobWorker {
  health(): JobConsumerHealth;
  stop(): Promise<void>;
}

export const CODE_VERSION = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.resolve(__dirname, '../../../../../package.json')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

/**
 * Wires the job use cases (libs/unlearning application/jobs) to their adapters: the directory
 * model store and private store (journal + chain states), dataset sources under the data root, the
 * @lethe/audit signer with the key ring from LETHE_AUDIT_KEYRING(_FILE), the tfjs engine (the
 * backend is already initialised by main.ts), and the Kafka consumer/producer.
 */
export async function startJobWorker(
  config: WorkerConfig,
  brokers: readonly string[],
  logger: Logger,
  metrics?: LetheMetrics,
): Promise<JobWorker> {
  const signer = new JoseAuditSigner(keyRingFromEnv(process.env));
  const modelRoot = path.resolve(config.LETHE_MODEL_STORE_DIR);
  const privateRoot = path.resolve(config.LETHE_PRIVATE_STORE_DIR);
  const dataRoot = path.resolve(config.LETHE_DATA_ROOT);
  const modelStore = await DirectoryModelStore.open({ root: modelRoot });
  const chainStore = await DirectoryPrivateChainStore.open({
    root: privateRoot,
    publicRoot: modelRoot,
  });
  const journal = await DirectoryJobJournal.open(privateRoot);
  const kafka = new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
  });
  const created = await ensureTopics(
    kafka,
    [{ topic: Topics.unlearningJobs }, { topic: Topics.unlearningResults }],
    { namespace: config.LETHE_TOPIC_NAMESPACE },
  );
  const port = {
    info: (m: string) => logger.info(m),
    warn: (m: string) => logger.warn(m),
    error: (m: string) => logger.error(m),
  };
  // One per worker process, shared by its runners: the parsed rows of each model's last job.
  const dataCache = new JobDataCache();
  // And the last kept convex factor of each model (the next job's, without reading its file).
  const factorCache = new KeptFactorCache();
  const consumer = new KafkaJobConsumer(
    kafka,
    (sink) =>
      new JobRunner({
        engine: tfjsEngine,
        modelStore,
        chainStore,
        journal,
        sink: metrics ? meteredSink(sink, metrics) : sink,
        signer,
        sources: (descriptor) => createDatasetSource(descriptor, { dataRoot }),
        dataCache,
        factorCache,
        clock: () => new Date(),
        workerId: config.WORKER_ID,
        codeVersion: CODE_VERSION,
        logger: port,
        progressIntervalMs: config.LETHE_PROGRESS_INTERVAL_MS,
      }),
    {
      namespace: config.LETHE_TOPIC_NAMESPACE,
      groupId: config.LETHE_JOBS_GROUP_ID,
      sessionTimeoutMs: config.LETHE_JOBS_SESSION_TIMEOUT_MS,
      concurrency: config.LETHE_JOBS_CONCURRENCY,
    },
    port,
  );
  await consumer.start();
  logger.info(
    { brokers, created, group: config.LETHE_JOBS_GROUP_ID, modelRoot, dataRoot },
    'consuming unlearning and training jobs',
  );
  return consumer;
}

/**
 * Counts each finished job attempt in the worker's metrics (docs/adr/0014-observability.md):
 * the timer starts at the attempt's `started` result and ends at its terminal one.
 */
function meteredSink(sink: ResultSink, metrics: LetheMetrics): ResultSink {
  const timers = new Map<string, (outcome: string, method?: string) => void>();
  return {
    async publish(result: UnlearningResultDataV1): Promise<void> {
      await sink.publish(result);
      const key = `${result.jobId}/${result.attempt}`;
      if (result.kind === 'started') {
        timers.set(key, metrics.startJobTimer());
      } else if (result.kind !== 'progress') {
        const done = timers.get(key) ?? metrics.startJobTimer();
        timers.delete(key);
        done(result.kind, result.kind === 'succeeded' ? result.method : '');
      }
    },
  };
}
