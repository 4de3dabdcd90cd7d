export * from './logger.port';
export * from './wakeable-loop';
export * from './ports/audit-pdf-report.port';
