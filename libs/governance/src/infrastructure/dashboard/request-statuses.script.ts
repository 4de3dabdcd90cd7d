import { REQUEST_STATUSES } from '../../domain/deletion-request/deletion-request.state';

/** The request statuses, served to the dashboard as `/dashboard/request-statuses.js`. */
export const REQUEST_STATUSES_SCRIPT = 'request-statuses.js';

/**
 * The browser script of the domain's status list, generated from it (the page has no build step):
 * it sets `LetheRequestStatuses` on the page's global object, where dashboard.js reads the order
 * of its status table. So a status added to the domain shows on the dashboard too.
 */
export const requestStatusesScript = (): string =>
  [
    '// Generated from libs/governance/src/domain/deletion-request/deletion-request.state.ts: do not edit.',
    `globalThis.LetheRequestStatuses = Object.freeze(${JSON.stringify(REQUEST_STATUSES)});`,
    '',
  ].join('\n');
