export * from './logger.port';
export * from './wakeable-loop';
export * from './cursor';
export * from './ports/audit-pdf-report.port';
