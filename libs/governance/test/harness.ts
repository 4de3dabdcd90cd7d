import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  createTestDatabase,
  type TestDatabase,
} from '@lethe/local-infra/testing/create-test-database';
import { createTopics } from '@lethe/local-infra/kafka/topics';
import { namespacedTopic, newNamespace, testKafka } from '@lethe/local-infra/testing/test-kafka';
import { Topics } from '@lethe/shared';
import { ApiKeyRegistry, AuthGuard, ProblemDetailsFilter } from '@lethe/shared/infrastructure/http';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { GovernanceModule, type GovernanceModuleOptions } from '../src';
import { CLOCK, type Clock } from '../src/application/ports/clock.port';
import { HMAC_KEY } from './support/keys';

export { HMAC_KEY };

export const KEYS = {
  publisher: 'publisher-key-0123456789',
  compliance: 'compliance-key-0123456789',
  admin: 'ml-admin-key-0123456789',
  auditor: 'auditor-key-0123456789',
  /** A publisher key bound to the CloudEvent source TEST_SOURCE only. */
  boundPublisher: 'bound-publisher-key-0123456789',
};

/** A clock tests can move. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface GovernanceTestApp {
  app: INestApplication;
  dataSource: DataSource;
  databaseUrl: string;
  clock: TestClock;
  namespace: string;
  brokers: string[];
  kafka: Kafka;
  topic: (t: string) => string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly run?: GovernanceModuleOptions['run'];
  readonly scheduling?: GovernanceModuleOptions['scheduling'];
  /** Reuse an existing database (a second app instance on the same data). */
  readonly databaseUrl?: string;
  readonly namespace?: string;
  readonly withKafka?: boolean;
  /** The audit context (key ring): verifies worker results and serves the audit routes. */
  readonly audit?: GovernanceModuleOptions['audit'];
  /** The public model store directory the version routes read. */
  readonly modelStoreDir?: string;
  readonly results?: GovernanceModuleOptions['results'];
  /** The intake consumer's `intakeConcurrency` (default: the module's). */
  readonly intakeConcurrency?: number;
  /** The intake's `intakeWriterMinMessages` (default: the module's). */
  readonly intakeWriterMinMessages?: number;
}

/** The governance module in a Nest app on a fresh database (and a fresh Kafka namespace). */
export async function startGovernance(options: HarnessOptions = {}): Promise<GovernanceTestApp> {
  const withKafka = options.withKafka ?? true;
  const kafkaEnv = withKafka ? testKafka() : { brokers: ['127.0.0.1:1'], namespace: 'none.' };
  const namespace = options.namespace ?? (withKafka ? newNamespace('gov') : 'none.');
  const brokers = kafkaEnv.brokers;
  let db: TestDatabase | undefined;
  const url = options.databaseUrl ?? (db = await createTestDatabase('gov')).url;
  const topic = (t: string) => namespacedTopic(namespace, t);
  if (withKafka && !options.namespace) {
    await createTopics(brokers, [
      { topic: topic(Topics.deletionRequests), numPartitions: 2 },
      { topic: topic(Topics.deletionRequestsDlq), numPartitions: 1 },
      { topic: topic(Topics.unlearningJobs), numPartitions: 2 },
      { topic: topic(Topics.unlearningResults), numPartitions: 2 },
      { topic: topic(Topics.governanceEvents), numPartitions: 2 },
    ]);
  }
  const clock = new TestClock();
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({
        type: 'postgres',
        url,
        synchronize: false,
        logging: false,
        extra: { max: 10 },
      }),
      GovernanceModule.forRoot({
        kafka: {
          brokers,
          namespace,
          sessionTimeoutMs: 6000,
          ...(options.intakeConcurrency ? { intakeConcurrency: options.intakeConcurrency } : {}),
          ...(options.intakeWriterMinMessages
            ? { intakeWriterMinMessages: options.intakeWriterMinMessages }
            : {}),
        },
        subjectHmacKey: HMAC_KEY,
        scheduling: {
          coalesceWindowMs: 300,
          tickMs: 100,
          backoff: { baseDelayMs: 200, maxDelayMs: 1000 },
          ...options.scheduling,
        },
        run: withKafka
          ? options.run
          : { intakeConsumer: false, outboxRelay: false, resultsConsumer: false, ...options.run },
        ...(options.audit ? { audit: options.audit } : {}),
        ...(options.modelStoreDir ? { modelStoreDir: options.modelStoreDir } : {}),
        ...(options.results ? { results: options.results } : {}),
      }),
    ],
    providers: [
      {
        provide: ApiKeyRegistry,
        useValue: new ApiKeyRegistry([
          { name: 'pub', key: KEYS.publisher, roles: ['publisher'] },
          { name: 'comp', key: KEYS.compliance, roles: ['compliance'] },
          { name: 'ml', key: KEYS.admin, roles: ['ml-admin'] },
          { name: 'aud', key: KEYS.auditor, roles: ['auditor'] },
          {
            name: 'crm',
            key: KEYS.boundPublisher,
            roles: ['publisher'],
            sources: ['urn:lethe:app:crm'],
          },
        ]),
      },
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    ],
  })
    .overrideProvider(CLOCK)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  app.enableShutdownHooks();
  await app.init();
  const kafka = new Kafka({ clientId: `${namespace}test`, brokers, logLevel: logLevel.NOTHING });
  return {
    app,
    dataSource: app.get(DataSource),
    databaseUrl: url,
    clock,
    namespace,
    brokers,
    kafka,
    topic,
    close: async () => {
      await app.close();
      await db?.drop();
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Polls `probe` until it returns a value that `done` accepts (or throws after `timeoutMs`). */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`eventually: timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CloudEvents `source` of `deletionEvent` unless told otherwise. */
export const TEST_SOURCE = 'urn:lethe:app:crm';

export const deletionEvent = (
  id: string,
  subjectId: string,
  extra: Partial<{
    scope: unknown;
    legalBasis: string;
    deadline: string;
    time: string;
    source: string;
  }> = {},
) => ({
  specversion: '1.0',
  id,
  source: extra.source ?? TEST_SOURCE,
  type: 'lethe.deletion.requested.v1',
  subject: subjectId,
  time: extra.time ?? new Date().toISOString(),
  datacontenttype: 'application/json',
  data: {
    subjectId,
    ...(extra.scope ? { scope: extra.scope } : {}),
    legalBasis: extra.legalBasis ?? 'gdpr-art-17',
    ...(extra.deadline ? { deadline: extra.deadline } : {}),
  },
});

export const count = async (
  ds: DataSource,
  sql: string,
  params: unknown[] = [],
): Promise<number> => {
  const [row] = await ds.query<{ n: string | number }[]>(sql, params);
  return Number(row?.n ?? 0);
};
