export * from './kafka-health.indicator';
export * from './health-response';
