import type { LoggerPort } from '@lethe/shared/application';

/** The part of the logger port local-infra needs; console by default, silent with LETHE_INFRA_QUIET=1. */
export type InfraLogger = Pick<LoggerPort, 'info' | 'warn'>;

export const consoleLogger: InfraLogger = {
  info: (message) => {
    if (process.env.LETHE_INFRA_QUIET !== '1') console.log(`[local-infra] ${message}`);
  },
  warn: (message) => console.warn(`[local-infra] ${message}`),
};

export const silentLogger: InfraLogger = { info: () => undefined, warn: () => undefined };
