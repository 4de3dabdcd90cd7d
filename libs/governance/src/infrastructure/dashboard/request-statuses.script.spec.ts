import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runInNewContext } from 'node:vm';
import { REQUEST_STATUSES } from '../../domain/deletion-request/deletion-request.state';
import { requestStatusesScript } from './request-statuses.script';

describe('the dashboard request-statuses script is generated from the domain list', () => {
  it('sets the domain statuses, in order, on a fresh global object', () => {
    const page: { LetheRequestStatuses?: readonly string[] } = {};
    runInNewContext(requestStatusesScript(), page);
    // Through JSON: the script's array belongs to another realm, so compare values.
    expect(JSON.parse(JSON.stringify(page.LetheRequestStatuses))).toEqual([...REQUEST_STATUSES]);
  });

  it('dashboard.js keeps no status list of its own; the page loads the generated one first', () => {
    const page = readFileSync(path.join(__dirname, 'assets', 'dashboard.js'), 'utf8');
    expect(page).toContain('globalThis.LetheRequestStatuses');
    expect(page).not.toMatch(/'needs-retrain'|'no-records'/);
    const html = readFileSync(path.join(__dirname, 'assets', 'index.html'), 'utf8');
    expect(html.indexOf('/dashboard/request-statuses.js')).toBeGreaterThan(-1);
    expect(html.indexOf('/dashboard/request-statuses.js')).toBeLessThan(
      html.indexOf('/dashboard/dashboard.js'),
    );
  });
});
