import type { KafkaMessage } from 'kafkajs';
import type { GovernanceError } from '../../domain/governance.errors';

export interface DeadLetter {
  readonly message: KafkaMessage;
  readonly topic: string;
  readonly partition: number;
  readonly error: GovernanceError;
}

/** Where refused inbound messages go (the DLQ); resolves once they are durable there. */
export interface DeadLetterSink {
  publish(letters: readonly DeadLetter[]): Promise<void>;
}
