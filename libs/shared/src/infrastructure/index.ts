export * from './http';
export * from './logging';
export * from './kafka';
export * from './boot';
export * from './metrics';
export * from './health';
