export * from './roles';
export * from './principal';
export * from './api-keys';
export * from './oidc';
export * from './auth.guard';
export * from './problem-details.filter';
export * from './correlation.middleware';
export * from './zod-request';
