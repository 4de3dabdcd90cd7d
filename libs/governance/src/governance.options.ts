import type { Kafka } from 'kafkajs';
import type { BackoffPolicy } from '@lethe/shared';
import type { AuditModuleOptions } from '@lethe/audit';

/** What the governance core needs from the app's configuration (the variables: apps/governance/src/config.ts). */
export interface GovernanceModuleOptions {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId?: string;
    /** Prefix of every topic and consumer-group name (tests, shared clusters). Default ''. */
    readonly namespace?: string;
    /** Consumer group of the intake consumer (before the namespace). Default 'lethe-governance-intake'. */
    readonly intakeGroupId?: string;
    /** A client to use instead of building one from `brokers` (shared clients, tests). */
    readonly client?: Kafka;
    /** Intake consumer session timeout: how soon a dead consumer's partitions move. Default 30000. */
    readonly sessionTimeoutMs?: number;
    /**
     * Partition batches kafkajs hands the intake at once (`partitionsConsumedConcurrently`). The
     * batches handed over together share one transaction and one offset commit (the group commit,
     * ADR 0013), so a value ≥ the partitions a consumer owns pays one commit flush per fetch
     * instead of one per partition, and a large round is written by parallel transactions
     * (`intakeWriters`). Default 4 (ADR 0013: 1 until a soak at 4 ran clean).
     */
    readonly intakeConcurrency?: number;
    /**
     * The intake consumer's fetch: the broker answers once `minBytes` are there or after
     * `maxWaitTimeInMs`. Defaults 1 byte / 50 ms (ADR 0013).
     */
    readonly intakeFetch?: { readonly minBytes?: number; readonly maxWaitTimeInMs?: number };
    /**
     * A group-commit round of at least twice this many messages is written by several
     * transactions at once, one per group of whole partitions of at least this many messages, so
     * the next group is prepared while PostgreSQL executes the previous one (ADR 0013, "parallel
     * writers"). Only rounds of several partitions split (`intakeConcurrency` > 1). Default 500.
     */
    readonly intakeWriterMinMessages?: number;
    /**
     * At most this many transactions (pool connections) write one round at once; 1 never splits
     * a round. Default 4 (the pool has 10 connections, shared with the HTTP door, the
     * projections, the scheduler and the relay).
     */
    readonly intakeWriters?: number;
  };
  /** Key of the HMAC that turns subject ids into SubjectRefs (≥ 32 bytes). */
  readonly subjectHmacKey: string;
  /** Largest inbound deletion event in bytes (Kafka; HTTP is limited by the app's body parser). */
  readonly maxEventBytes?: number;
  readonly scheduling?: {
    /** Requests for one model arriving within this window share one job. Default 2000. */
    readonly coalesceWindowMs?: number;
    /** A job takes at most this many requests. Default 500. */
    readonly maxRequestsPerJob?: number;
    /** Attempts per round before a job ends `failed`. Default 3. */
    readonly maxAttempts?: number;
    readonly backoff?: BackoffPolicy;
    /** How often the scheduler looks for work. Default 500. */
    readonly tickMs?: number;
  };
  /** The worker's results (lethe.unlearning-results.v1, docs/adr/0010-job-results.md). */
  readonly results?: {
    /** Consumer group (before the namespace). Default 'lethe-governance-results'. */
    readonly groupId?: string;
    /** A progress report of the same stage within this interval of the last one is dropped. Default 1000. */
    readonly progressIntervalMs?: number;
  };
  /**
   * The public model store's directory (the worker writes it; `GET /v1/models/:id/versions/:v`
   * reads it). Null or absent: those routes answer 404 MODEL_VERSION_NOT_FOUND with a note.
   */
  readonly modelStoreDir?: string | null;
  /**
   * The audit context (key ring and log origin): imported with the governance module; its signer
   * verifies the worker's certificates against the key ring's JWKS. Absent: no audit routes, and
   * every `succeeded` result is refused (CERTIFICATE_SIGNATURE_INVALID).
   */
  readonly audit?: AuditModuleOptions;
  /** Which background parts run in this process. Defaults: all true. */
  readonly run?: {
    readonly intakeConsumer?: boolean;
    /** The consumer of the worker's results. */
    readonly resultsConsumer?: boolean;
    /** true: all; false: none; a list: only those subscriptions (names in READ_MODELS + lineage). */
    readonly projections?: boolean | readonly string[];
    readonly scheduler?: boolean;
    /** The outbox → Kafka relay (one per deployment is enough; it takes an advisory lock). */
    readonly outboxRelay?: boolean;
  };
}

export interface ResolvedGovernanceOptions {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly namespace: string;
    readonly intakeGroupId: string;
    readonly client: Kafka | null;
    readonly sessionTimeoutMs: number;
    readonly intakeConcurrency: number;
    readonly intakeFetch: { readonly minBytes: number; readonly maxWaitTimeInMs: number };
    readonly intakeWriterMinMessages: number;
    readonly intakeWriters: number;
  };
  readonly subjectHmacKey: string;
  readonly maxEventBytes: number;
  readonly scheduling: {
    readonly coalesceWindowMs: number;
    readonly maxRequestsPerJob: number;
    readonly maxAttempts: number;
    readonly backoff: BackoffPolicy;
    readonly tickMs: number;
  };
  readonly results: {
    readonly groupId: string;
    readonly progressIntervalMs: number;
  };
  readonly modelStoreDir: string | null;
  readonly run: {
    readonly intakeConsumer: boolean;
    readonly resultsConsumer: boolean;
    readonly projections: boolean | readonly string[];
    readonly scheduler: boolean;
    readonly outboxRelay: boolean;
  };
}

export const GOVERNANCE_OPTIONS = Symbol('GovernanceOptions');

export const resolveGovernanceOptions = (
  o: GovernanceModuleOptions,
): ResolvedGovernanceOptions => ({
  kafka: {
    brokers: o.kafka.brokers,
    clientId: o.kafka.clientId ?? 'lethe-governance',
    namespace: o.kafka.namespace ?? '',
    intakeGroupId: o.kafka.intakeGroupId ?? 'lethe-governance-intake',
    client: o.kafka.client ?? null,
    sessionTimeoutMs: o.kafka.sessionTimeoutMs ?? 30_000,
    intakeConcurrency: o.kafka.intakeConcurrency ?? 4,
    intakeFetch: {
      minBytes: o.kafka.intakeFetch?.minBytes ?? 1,
      maxWaitTimeInMs: o.kafka.intakeFetch?.maxWaitTimeInMs ?? 50,
    },
    intakeWriterMinMessages: o.kafka.intakeWriterMinMessages ?? 500,
    intakeWriters: o.kafka.intakeWriters ?? 4,
  },
  subjectHmacKey: o.subjectHmacKey,
  maxEventBytes: o.maxEventBytes ?? 64 * 1024,
  scheduling: {
    coalesceWindowMs: o.scheduling?.coalesceWindowMs ?? 2000,
    maxRequestsPerJob: o.scheduling?.maxRequestsPerJob ?? 500,
    maxAttempts: o.scheduling?.maxAttempts ?? 3,
    backoff: o.scheduling?.backoff ?? { baseDelayMs: 5_000, maxDelayMs: 300_000 },
    tickMs: o.scheduling?.tickMs ?? 500,
  },
  results: {
    groupId: o.results?.groupId ?? 'lethe-governance-results',
    progressIntervalMs: o.results?.progressIntervalMs ?? 1000,
  },
  modelStoreDir: o.modelStoreDir ?? null,
  run: {
    intakeConsumer: o.run?.intakeConsumer ?? true,
    resultsConsumer: o.run?.resultsConsumer ?? true,
    projections: o.run?.projections ?? true,
    scheduler: o.run?.scheduler ?? true,
    outboxRelay: o.run?.outboxRelay ?? true,
  },
});
