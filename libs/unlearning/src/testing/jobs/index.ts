/** The worker's job test factories (fixture, messages) and job runs, for one import. */
export * from './job-factories';
export * from './job-runs';
