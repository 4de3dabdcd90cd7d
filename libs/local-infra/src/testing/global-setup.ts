import { startTestInfra } from './test-infra';

/** Jest globalSetup of the integration and e2e projects (see jest.config.js). */
export default async function globalSetup(): Promise<void> {
  await startTestInfra();
}
