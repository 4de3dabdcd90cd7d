export * from './lethe-metrics';
export * from './metrics.module';
export * from './metrics.controller';
export * from './consumer-lag';
