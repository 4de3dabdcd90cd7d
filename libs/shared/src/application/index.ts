export * from './logger.port';
export * from './wakeable-loop';
export * from './cursor';
