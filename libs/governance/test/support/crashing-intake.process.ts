/**
 * Child process for the crash test: the governance intake consumer, which SIGKILLs itself right
 * after the N-th chunk's transaction has committed and before its Kafka offset commit — the worst
 * moment for a crash. Env: DATABASE_URL, KAFKA_BROKERS, NAMESPACE, CRASH_ON_COMMIT.
 */
import 'reflect-metadata';
import { CqrsModule } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { GovernanceModule } from '../../src';
import { HMAC_KEY } from './keys';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

async function main(): Promise<void> {
  const crashOn = Number(env('CRASH_ON_COMMIT'));
  const kafka = new Kafka({
    clientId: 'crashing-intake',
    brokers: env('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const makeConsumer = kafka.consumer.bind(kafka);
  let commits = 0;
  kafka.consumer = (config) => {
    const consumer: Consumer = makeConsumer(config);
    const commit = consumer.commitOffsets.bind(consumer);
    consumer.commitOffsets = async (offsets) => {
      commits += 1;
      if (commits === crashOn) {
        process.stdout.write(`crashing before offset commit ${commits}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
      return commit(offsets);
    };
    return consumer;
  };

  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({ type: 'postgres', url: env('DATABASE_URL'), synchronize: false }),
      GovernanceModule.forRoot({
        kafka: {
          brokers: env('KAFKA_BROKERS').split(','),
          namespace: env('NAMESPACE'),
          client: kafka,
          sessionTimeoutMs: 6000,
        },
        subjectHmacKey: HMAC_KEY,
        run: { projections: false, scheduler: false, outboxRelay: false, intakeConsumer: true },
      }),
    ],
  })
  class CrashingIntakeModule {}

  const app = await NestFactory.createApplicationContext(CrashingIntakeModule, {
    logger: ['error'],
  });
  void app;
  process.stdout.write('intake consumer running\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
