import type { Provider } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { GOVERNANCE_OPTIONS, type ResolvedGovernanceOptions } from '../../governance.options';

export const KAFKA = Symbol('GovernanceKafka');

export const kafkaProvider: Provider = {
  provide: KAFKA,
  inject: [GOVERNANCE_OPTIONS],
  useFactory: (o: ResolvedGovernanceOptions) =>
    o.kafka.client ??
    new Kafka({
      clientId: o.kafka.clientId,
      brokers: [...o.kafka.brokers],
      logLevel: logLevel.WARN,
    }),
};
