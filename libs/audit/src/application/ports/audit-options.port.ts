/** Settings of the audit log. */
export interface AuditLogOptions {
  /** The log's name in every checkpoint, e.g. `lethe.audit/production`. */
  readonly origin: string;
  /** Clock for checkpoint timestamps (tests pin it). */
  readonly now?: () => Date;
}

export const AUDIT_LOG_OPTIONS = Symbol('AuditLogOptions');
