export * from './brand';
export * from './domain-error';
export * from './message-metadata';
export * from './result';
export * from './canonical-json';
