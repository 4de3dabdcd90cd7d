import { Injectable } from '@nestjs/common';

/** What the worker reports about itself on /health. */
@Injectable()
export class WorkerStatus {
  workerId = '';
  backend = 'uninitialised';
  /** The job consumer's state: `off` when no Kafka is configured. */
  jobs: () => 'off' | 'starting' | 'up' | 'down' = () => 'off';
  /** What readiness asks (empty: no Kafka configured). */
  kafkaBrokers: readonly string[] = [];
  kafkaClientId = 'lethe-unlearning-worker';
}
