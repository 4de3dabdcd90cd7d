export * from './domain/brand';
export * from './domain/domain-error';
export * from './domain/message-metadata';
export * from './domain/result';
export * from './domain/decider';
export * from './domain/backoff';
export * from './contracts/topics';
export * from './contracts/unlearning-job.v1';
