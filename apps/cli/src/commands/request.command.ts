import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { call, CliError, connection, EXIT } from '../io';

interface RequestOptions {
  url?: string;
  token?: string;
  file?: string;
  source?: string;
  id?: string;
  subject?: string;
  dataset?: string[];
  record?: string[];
  legalBasis: string;
  deadline?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `lethe request`: a publisher sends one deletion request (a CloudEvent) over HTTP. */
export function requestCommand(program: Command): void {
  program
    .command('request')
    .description(
      'Send a deletion request (CloudEvent lethe.deletion.requested.v1) as a publisher and print ' +
        'its request id. Idempotent on (--source, --id): sending the same event again answers with the same id.',
    )
    .option('--url <url>', 'service base URL (default: $LETHE_URL)')
    .option('--token <token>', 'bearer token, role publisher (default: $LETHE_TOKEN)')
    .option(
      '--file <event.json>',
      'send this CloudEvent as is (the flags below build one otherwise)',
    )
    .option('--source <uri>', 'CloudEvents source, e.g. urn:lethe:app:crm')
    .option('--id <eventId>', 'CloudEvents id (default: a new UUID)')
    .option('--subject <subjectId>', 'the data subject to forget')
    .option('--dataset <id>', 'limit to this dataset (repeatable)', collect)
    .option('--record <id>', 'limit to this record id (repeatable)', collect)
    .option('--legal-basis <basis>', 'legal basis', 'gdpr-art-17')
    .option('--deadline <time>', 'RFC 3339 deadline (default: the service applies its own)')
    .option('--json', 'print the whole answer as JSON')
    .action(async (opts: RequestOptions) => {
      const conn = connection(opts);
      let event: unknown;
      if (opts.file) {
        try {
          event = JSON.parse(readFileSync(opts.file, 'utf8'));
        } catch (e) {
          throw new CliError(`cannot read ${opts.file}: ${(e as Error).message}`, EXIT.IO);
        }
      } else {
        if (!opts.source || !opts.subject) {
          throw new CliError('pass --file, or at least --source and --subject', EXIT.USAGE);
        }
        const scope =
          opts.dataset || opts.record
            ? {
                scope: {
                  ...(opts.dataset ? { datasetIds: opts.dataset } : {}),
                  ...(opts.record ? { recordIds: opts.record } : {}),
                },
              }
            : {};
        event = {
          specversion: '1.0',
          id: opts.id ?? randomUUID(),
          source: opts.source,
          type: 'lethe.deletion.requested.v1',
          subject: opts.subject,
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: {
            subjectId: opts.subject,
            ...scope,
            legalBasis: opts.legalBasis,
            ...(opts.deadline ? { deadline: opts.deadline } : {}),
          },
        };
      }
      const res = await call(conn, '/v1/deletion-requests', { method: 'POST', body: event });
      const answer = (await res.json()) as { requestId: string; duplicate?: boolean };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(answer, null, 2)}\n`
          : `${answer.requestId}${answer.duplicate ? ' (already received)' : ''}\n`,
      );
    });
}
