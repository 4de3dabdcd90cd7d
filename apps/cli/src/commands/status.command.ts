import type { Command } from 'commander';
import { call, CliError, connection, EXIT } from '../io';

interface StatusOptions {
  url?: string;
  token?: string;
  source?: string;
  eventId?: string;
  json?: boolean;
}

interface HistoryEntry {
  readonly at?: string;
  readonly status?: string;
  readonly type?: string;
  /** On a model's outcome: the certificate's method and why the policy chose it. */
  readonly method?: string;
  readonly reason?: string | null;
}

interface RequestView {
  readonly requestId: string;
  readonly status: string;
  readonly reason?: string | null;
  readonly deadline?: string;
  readonly overdue?: boolean;
  readonly source?: string;
  readonly sourceEventId?: string;
  readonly certificateIds?: readonly string[];
  readonly history?: readonly HistoryEntry[];
}

/** `lethe status`: a compliance officer's view of one request: status, history, certificates. */
export function statusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'Show a deletion request: status, deadline, history and certificates (role compliance; a ' +
        'publisher sees the receipt only). Find it by request id, or by --source and --event-id.',
    )
    .argument('[requestId]', 'the request id that `lethe request` printed')
    .option('--url <url>', 'service base URL (default: $LETHE_URL)')
    .option('--token <token>', 'bearer token (default: $LETHE_TOKEN)')
    .option('--source <uri>', 'CloudEvents source of the request')
    .option('--event-id <id>', 'CloudEvents id of the request')
    .option('--json', 'print the whole view as JSON')
    .action(async (requestId: string | undefined, opts: StatusOptions) => {
      const conn = connection(opts);
      let path: string;
      if (requestId) path = `/v1/deletion-requests/${encodeURIComponent(requestId)}`;
      else if (opts.source && opts.eventId) {
        path = `/v1/deletion-requests?${new URLSearchParams({ source: opts.source, eventId: opts.eventId }).toString()}`;
      } else throw new CliError('pass a request id, or --source and --event-id', EXIT.USAGE);
      const view = (await (await call(conn, path)).json()) as RequestView;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        return;
      }
      const lines = [
        `request      ${view.requestId}`,
        `status       ${view.status}${view.reason ? ` (${view.reason})` : ''}${view.overdue ? ' OVERDUE' : ''}`,
      ];
      if (view.source) lines.push(`event        ${view.source} ${view.sourceEventId ?? ''}`);
      if (view.deadline) lines.push(`deadline     ${view.deadline}`);
      for (const h of view.history ?? []) {
        lines.push(
          `  ${h.at ?? ''}  ${h.status ?? h.type ?? ''}${h.method ? ` [${h.method}]` : ''}` +
            `${h.reason ? ` (${h.reason})` : ''}`,
        );
      }
      const certs = view.certificateIds ?? [];
      lines.push(`certificates ${certs.length === 0 ? '-' : certs.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
