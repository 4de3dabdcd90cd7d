import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@lethe/shared/infrastructure/http';
import { GovernanceError } from '../../domain/governance.errors';
import { CHART_SCALE_SCRIPT, chartScaleScript } from './chart-scale.script';
import { REQUEST_STATUSES_SCRIPT, requestStatusesScript } from './request-statuses.script';

/**
 * The page's policy: its own script and style only (no inline script or style, no eval), data
 * from this origin's JSON API only, no framing, no form posts, no base rewriting.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  [CHART_SCALE_SCRIPT]: 'text/javascript; charset=utf-8',
  [REQUEST_STATUSES_SCRIPT]: 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/** The scripts generated from TypeScript sources (the page has no build step). */
const GENERATED: Readonly<Record<string, () => string>> = {
  [CHART_SCALE_SCRIPT]: chartScaleScript,
  [REQUEST_STATUSES_SCRIPT]: requestStatusesScript,
};

/** The static files, next to this module (`npm run build` copies them into dist/). */
export const DASHBOARD_ASSETS_DIR = path.join(__dirname, 'assets');

/**
 * GET /dashboard: the compliance dashboard (docs/adr/0018-dashboard-and-report.md). The page and
 * its script and style are public and hold no data; the script asks for a bearer token, keeps it
 * in sessionStorage and reads `GET /v1/compliance/summary` with it, which the auth guard checks
 * like any API call (compliance or auditor; 401 without a valid token).
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardHttpController {
  private readonly cache = new Map<string, Buffer>();

  @Get()
  @Public()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get(':file')
  @Public()
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (file === 'index.html' || !Object.hasOwn(FILES, file)) {
      throw new NotFoundException(`no dashboard file ${file}`);
    }
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    let body = this.cache.get(file);
    const generate = Object.hasOwn(GENERATED, file) ? GENERATED[file] : undefined;
    if (!body && generate) {
      body = Buffer.from(generate(), 'utf8');
      this.cache.set(file, body);
    }
    if (!body) {
      try {
        body = readFileSync(path.join(DASHBOARD_ASSETS_DIR, file));
      } catch {
        throw new GovernanceError(
          'DASHBOARD_UNAVAILABLE',
          `the dashboard file ${file} is missing from this build (npm run build copies it)`,
        );
      }
      this.cache.set(file, body);
    }
    res
      .status(200)
      .setHeader('content-type', FILES[file] ?? 'application/octet-stream')
      .setHeader('content-security-policy', DASHBOARD_CSP)
      .setHeader('x-content-type-options', 'nosniff')
      .setHeader('referrer-policy', 'no-referrer')
      .setHeader('cache-control', 'no-cache')
      .send(body);
  }
}
