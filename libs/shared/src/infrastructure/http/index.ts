export * from './roles';
export * from './api-keys';
export * from './auth.guard';
export * from './problem-details.filter';
export * from './correlation.middleware';
