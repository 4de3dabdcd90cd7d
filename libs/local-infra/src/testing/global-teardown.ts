import { stopTestInfra } from './test-infra';

/** Jest globalTeardown of the integration and e2e projects (see jest.config.js). */
export default async function globalTeardown(): Promise<void> {
  await stopTestInfra();
}
