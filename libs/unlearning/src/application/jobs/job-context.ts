import type { LoggerPort } from '@lethe/shared/application';
import type { ModelStore } from '../ports/model-store.port';
import type { PrivateChainStore } from '../ports/private-chain-store.port';
import type { NumericEngine } from '../ports/numeric-engine';
import type { JobDataCache } from './job-data-cache';
import type { KeptFactorCache } from './kept-factor-cache';
import type { CertificateSigner, DatasetSourceFactory, JobJournal, ResultSink } from './job-ports';

/** What the job use cases run against (ports only; the worker app wires the adapters). */
export interface JobDependencies {
  readonly engine: NumericEngine;
  readonly modelStore: ModelStore;
  readonly chainStore: PrivateChainStore;
  readonly journal: JobJournal;
  readonly sink: ResultSink;
  readonly signer: CertificateSigner;
  readonly sources: DatasetSourceFactory;
  readonly clock: () => Date;
  readonly workerId: string;
  /** The producer's code version, stated in every certificate. */
  readonly codeVersion: string;
  readonly logger: LoggerPort;
  /**
   * The worker's cache of parsed job data (job-data-cache.ts): the next job of a model reads D_r
   * from it instead of parsing its sources again, while their fingerprints are unchanged.
   * Without it every job reads its sources.
   */
  readonly dataCache?: JobDataCache;
  /**
   * The worker's in-memory copy of each model's last kept convex factor (kept-factor-cache.ts):
   * the next job takes it instead of reading and decoding the stored file. Without it every job
   * reads the factor from the private chain store.
   */
  readonly factorCache?: KeptFactorCache;
  /** A monotonic clock in ms for the job's phase spans (default `performance.now`). */
  readonly monotonic?: () => number;
  /** Minimum time between two progress results of one job (default 500 ms). */
  readonly progressIntervalMs?: number;
}

/** An RFC 3339 UTC timestamp without milliseconds (what certificates carry). */
export const isoSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
