import { createWriteStream, writeFileSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type Command, Option } from 'commander';
import { call, CliError, connection, EXIT, progress } from '../io';

interface ExportOptions {
  url?: string;
  token?: string;
  from?: string;
  to?: string;
  format: 'jsonl' | 'csv' | 'pdf';
  out: string;
  treeSize?: string;
  quiet?: boolean;
}

/**
 * `lethe export`: GET /v1/audit/export, streamed to <out>, then GET /v1/audit/export/manifest with
 * the same parameters and the tree size the export was cut at, to <out>.manifest.json.
 */
export function exportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'Fetch an audit export and its signed manifest from a running service (role auditor); ' +
        'writes <out> and <out>.manifest.json, ready for `lethe verify <out>`.',
    )
    .option('--url <url>', 'service base URL (default: $LETHE_URL)')
    .option('--token <token>', 'bearer token, role auditor (default: $LETHE_TOKEN)')
    .option('--from <time>', 'RFC 3339: records appended at or after (default: the beginning)')
    .option('--to <time>', 'RFC 3339: records appended before (default: now)')
    .addOption(
      new Option('--format <format>', 'content format')
        .choices(['jsonl', 'csv', 'pdf'])
        .default('jsonl'),
    )
    .requiredOption('--out <file>', 'where to write the export')
    .option('--tree-size <n>', 'cut at this signed tree size (default: the latest checkpoint)')
    .option('-q, --quiet', 'no progress bar')
    .action(async (opts: ExportOptions) => {
      const conn = connection(opts);
      const params = new URLSearchParams({ format: opts.format });
      if (opts.from) params.set('from', opts.from);
      params.set('to', opts.to ?? new Date().toISOString());
      if (opts.treeSize) params.set('treeSize', opts.treeSize);
      const res = await call(conn, `/v1/audit/export?${params.toString()}`);
      if (!res.body) throw new CliError('the service sent no content', EXIT.IO);
      const records = Number(res.headers.get('lethe-export-record-count') ?? 0);
      const treeSize = res.headers.get('lethe-export-tree-size');
      const bar = progress(opts.quiet);
      bar.start(records, `export ${opts.format}`);
      let lines = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
          bar.update(lines);
          done(null, chunk);
        },
      });
      try {
        await pipeline(
          Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
          counter,
          createWriteStream(opts.out),
        );
      } catch (e) {
        throw new CliError(`the export was cut: ${(e as Error).message}`, EXIT.IO);
      } finally {
        bar.stop();
      }
      if (opts.format === 'pdf') {
        process.stdout.write(`wrote ${opts.out}\n`);
        return;
      }
      if (treeSize) params.set('treeSize', treeSize);
      const manifest = await call(conn, `/v1/audit/export/manifest?${params.toString()}`);
      const file = `${opts.out}.manifest.json`;
      writeFileSync(file, `${JSON.stringify(await manifest.json(), null, 2)}\n`);
      process.stdout.write(
        `wrote ${opts.out} (${records} records, tree size ${treeSize ?? '?'}) and ${file}\n`,
      );
    });
}
