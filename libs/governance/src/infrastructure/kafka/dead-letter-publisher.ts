import { DlqHeaders, Topics } from '@lethe/shared';
import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterSink } from '../../application/ports/dead-letter.port';
import { namespacedTopic } from '@lethe/shared/infrastructure/kafka';
import type { LetheMetrics } from '@lethe/shared/infrastructure/metrics';

/** Header values are bytes on the wire; keep them short and free of control characters. */
const headerText = (s: string, max = 500): string => s.replace(/[\r\n\t]+/g, ' ').slice(0, max);

/**
 * Publishes refused messages to `lethe.deletion-requests.v1.dlq`: the original key and bytes,
 * the original headers, plus the `lethe-*` headers of docs/contracts.md §2. Resolves once the broker has
 * them (acks = all), so the caller may then commit the original offsets.
 */
export class DeadLetterPublisher implements DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    private readonly namespace: string,
    private readonly metrics?: Pick<LetheMetrics, 'deadLetters'>,
  ) {}

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const topic = namespacedTopic(this.namespace, Topics.deletionRequestsDlq);
    await this.producer.send({
      topic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.message.key,
        value: l.message.value,
        headers: {
          ...(l.message.headers ?? {}),
          [DlqHeaders.errorCode]: l.error.code,
          [DlqHeaders.errorMessage]: headerText(l.error.message),
          [DlqHeaders.originalTopic]: l.topic,
          [DlqHeaders.originalPartition]: String(l.partition),
          [DlqHeaders.originalOffset]: l.message.offset,
        } satisfies IHeaders,
      })),
    });
    // The contract name, not the namespaced one: one series per DLQ whatever the deployment.
    for (const l of letters) {
      this.metrics?.deadLetters.inc({ topic: Topics.deletionRequestsDlq, code: l.error.code });
    }
  }
}
