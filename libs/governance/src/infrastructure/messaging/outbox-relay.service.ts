import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { OutboxRelay } from '@lethe/event-store';
import { loggerPortOf } from '@lethe/shared/application';
import { RequestContextStore } from '@lethe/shared/infrastructure/logging';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';
import { KAFKA } from '../kafka/kafka.provider';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import { GOVERNANCE_EVENT_VALUES } from '../../application/messages/governance-cloud-event';

/** Publishes the outbox (governance events, job messages) to Kafka, topic names namespaced. */
@Injectable()
export class GovernanceOutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly relay: OutboxRelay;
  private started = false;

  constructor(
    dataSource: DataSource,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(GOVERNANCE_OPTIONS) private readonly options: ResolvedGovernanceOptions,
  ) {
    const logger = new Logger('OutboxRelay');
    const ns = options.kafka.namespace;
    this.relay = new OutboxRelay(dataSource, kafka, {
      topicName: (t) => namespacedTopic(ns, t),
      runInContext: (correlationId, work) => RequestContextStore.run({ correlationId }, work),
      logger: loggerPortOf(logger),
      eventValue: GOVERNANCE_EVENT_VALUES,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.run.outboxRelay) return;
    await this.relay.start();
    this.started = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.started) await this.relay.stop();
    this.started = false;
  }
}
