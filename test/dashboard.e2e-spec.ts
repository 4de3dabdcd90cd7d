import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { createTestDatabase, freePort, testKafka, type TestDatabase } from '@lethe/local-infra';
import {
  AppendCertificateCommand,
  AppendCertificateHandler,
  JoseAuditSigner,
  KeyRingEnv,
  PostgresAuditLogStore,
  keyRingFromEnv,
  type CertificatePayload,
} from '@lethe/audit';
import {
  aCertifiedCertificate,
  anExactCertificate,
} from '@lethe/audit/testing/certificate.factory';
import { inspectPdf } from '@lethe/governance/testing/pdf-inspect';
import { type AppProcess, ROOT, startApp, waitForHttp } from './support/app-process';
import { countColouredPixels, decodePng } from './support/png';

jest.setTimeout(300_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const KEYS = {
  publisher: 'crm-key-0000000001',
  admin: 'ml-key-00000000001',
  compliance: 'dpo-key-0000000001',
  auditor: 'aud-key-0000000001',
  ops: 'ops-key-0000000001',
} as const;
const DATASET = 'credit';
const MODELS = ['credit-lr', 'credit-mlp'] as const;

interface Summary {
  totals: { requests: number; overdue: number; certificates: number; models: number };
  requests: {
    rows: { requestId: string; status: string; overdue: boolean; modelIds: string[] }[];
  };
  models: {
    modelId: string;
    certificates: { total: number; byMethod: Record<string, number> };
    cumulativeEpsilon: { epsilon: number | null }[];
    accuracy: { version: number; accuracy: number }[];
    budget: { spentEpsilon: number | null };
  }[];
}

/**
 * The compliance dashboard, black box: the governance service as a process on real PostgreSQL
 * and Kafka, with lineage and deletion requests sent over its HTTP API (two of them already past
 * their deadline) and signed certificates appended through the audit log's own append path. Then
 * headless Chromium (playwright-core): without sign-in the page shows no data; after signing in
 * with a compliance key it lists the requests overdue first and the certificates per model, and
 * its two charts are drawn with data (coloured pixels in a screenshot of each, against a render
 * of an empty range). The JSON summary and the PDF report are checked over HTTP.
 */
describe('compliance dashboard (e2e, headless Chromium)', () => {
  const { brokers, namespace } = testKafka();
  const root = mkdtempSync(path.join(tmpdir(), 'lethe-dashboard-e2e-'));
  const keyRingFile = path.join(root, 'keyring.json');
  let db: TestDatabase;
  let app: AppProcess;
  let base: string;
  let browser: Browser;
  const requestIds: Record<string, string> = {};

  const call = async (method: string, route: string, key: string | null, body?: unknown) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const buffer = Buffer.from(await res.arrayBuffer());
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(buffer.toString('utf8')) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: json, bytes: buffer };
  };

  const event = (id: string, subjectId: string, deadline?: string) => ({
    specversion: '1.0',
    id,
    source: 'urn:lethe:app:crm',
    type: 'lethe.deletion.requested.v1',
    subject: subjectId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {
      subjectId,
      scope: { datasetIds: [DATASET] },
      legalBasis: 'gdpr-art-17',
      ...(deadline ? { deadline } : {}),
    },
  });

  /** Signed with the service's key ring and appended exactly as the results consumer does. */
  const appendCertificates = async (payloads: readonly CertificatePayload[]) => {
    const keyRing = keyRingFromEnv({ [KeyRingEnv.file]: keyRingFile });
    const signer = new JoseAuditSigner(keyRing);
    const dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    try {
      const append = new AppendCertificateHandler(new PostgresAuditLogStore(dataSource), signer, {
        origin: 'lethe.audit/dashboard-e2e',
      });
      for (const p of payloads) {
        const result = await append.execute(
          new AppendCertificateCommand(await signer.signCertificate(p)),
        );
        expect(result.created).toBe(true);
      }
    } finally {
      await dataSource.destroy();
    }
  };

  beforeAll(async () => {
    // The browser first: a missing Chromium fails here, with the way to install it.
    try {
      execFileSync('bash', [path.join(ROOT, 'scripts/ensure-chromium.sh')], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(
        `the dashboard test needs headless Chromium at ${CHROMIUM}:\n${err.stderr?.toString() ?? String(e)}`,
      );
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });

    db = await createTestDatabase();
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(
      keyRingFile,
      JSON.stringify({
        keys: [
          {
            kid: 'dashboard-e2e',
            notBefore: '2020-01-01T00:00:00Z',
            privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
          },
        ],
      }),
      { mode: 0o600 },
    );
    const migrate = startApp('governance', { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 'migrate');
    const migrated = await migrate.exited;
    if (migrated !== 0) throw new Error(`migration step exited ${migrated}:\n${migrate.output()}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = startApp('governance', {
      PORT: String(port),
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers.join(','),
      LETHE_TOPIC_NAMESPACE: namespace,
      LETHE_API_KEYS: [
        `crm:${KEYS.publisher}:publisher`,
        `ml:${KEYS.admin}:ml-admin`,
        `dpo:${KEYS.compliance}:compliance`,
        `aud:${KEYS.auditor}:auditor`,
        `ops:${KEYS.ops}:ops`,
      ].join(','),
      LETHE_SUBJECT_HMAC_KEY: 'dashboard-subject-hmac-key-0123456789',
      LETHE_COALESCE_WINDOW_MS: '200',
      LETHE_SCHEDULER_TICK_MS: '50',
      LETHE_INTAKE_SESSION_TIMEOUT_MS: '6000',
      LETHE_AUDIT_KEYRING_FILE: keyRingFile,
      LETHE_AUDIT_ORIGIN: 'lethe.audit/dashboard-e2e',
      LETHE_MODEL_STORE_DIR: path.join(root, 'model-store'),
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    });
    await waitForHttp(`${base}/health`, 180_000, app);

    // Lineage: one dataset, two models trained elsewhere on it (version 1 registered at once).
    expect(
      (await call('POST', '/v1/datasets', KEYS.admin, { datasetId: DATASET, name: 'Credit' }))
        .status,
    ).toBe(201);
    const records = Array.from({ length: 8 }, (_, i) => ({
      recordId: `r-${i}`,
      subjectId: `person-${i % 4}`,
      features: [i / 10, 1 - i / 10],
      label: i % 2,
    }));
    expect(
      (await call('POST', `/v1/datasets/${DATASET}/records`, KEYS.admin, records)).status,
    ).toBe(200);
    for (const modelId of MODELS) {
      const res = await call('POST', '/v1/models', KEYS.admin, {
        modelId,
        name: modelId,
        training: { datasetIds: [DATASET] },
      });
      expect(res.status).toBe(201);
    }

    // Requests: two past their deadline (earliest first in the table), one open, one with no records.
    for (const [name, subject, deadline] of [
      ['open', 'person-2', undefined],
      ['late-recent', 'person-1', '2021-06-01T00:00:00Z'],
      ['no-records', 'nobody', undefined],
      ['late-oldest', 'person-0', '2020-01-01T00:00:00Z'],
    ] as const) {
      const res = await call(
        'POST',
        '/v1/deletion-requests',
        KEYS.publisher,
        event(`dash-${name}`, subject, deadline),
      );
      expect(res.status).toBe(202);
      requestIds[name] = String(res.body['requestId']);
    }

    // Certificates: a certified chain of three on credit-lr, a certified release and a retrain
    // on credit-mlp, issued over the last hours, each with public accuracy evidence.
    const hoursAgo = (h: number) =>
      new Date(Math.floor((Date.now() - h * 3_600_000) / 1000) * 1000)
        .toISOString()
        .replace('.000Z', 'Z');
    const model = (modelId: string, before: number) => ({
      modelId,
      versionBefore: before,
      versionAfter: before + 1,
      digestBefore: `${before}`.padStart(64, 'a'),
      digestAfter: `${before + 1}`.padStart(64, 'a'),
    });
    await appendCertificates([
      ...[1, 2, 3].map((k) =>
        aCertifiedCertificate({
          certificateId: `cert-credit-lr-${k}`,
          issuedAt: hoursAgo(10 - 3 * k),
          model: model('credit-lr', k),
          sequence: {
            index: k,
            previousCertificateDigest: k === 1 ? null : 'b'.repeat(64),
            cumulativeEpsilon: k,
            cumulativeDelta: k * 1e-5,
          },
          evidence: { accuracy: { before: 0.95 - 0.02 * (k - 1), after: 0.95 - 0.02 * k } },
        }),
      ),
      aCertifiedCertificate({
        certificateId: 'cert-credit-mlp-1',
        method: 'convex-newton',
        issuedAt: hoursAgo(8),
        model: model('credit-mlp', 1),
        sequence: {
          index: 1,
          previousCertificateDigest: null,
          cumulativeEpsilon: 1,
          cumulativeDelta: 1e-5,
        },
        evidence: { accuracy: { before: 0.88, after: 0.86 } },
      }),
      anExactCertificate({
        certificateId: 'cert-credit-mlp-2',
        issuedAt: hoursAgo(2),
        model: model('credit-mlp', 2),
        sequence: {
          index: 2,
          previousCertificateDigest: 'c'.repeat(64),
          cumulativeEpsilon: 0,
          cumulativeDelta: 0,
        },
        evidence: { accuracy: { after: 0.89 } },
      }),
    ]);

    // The read models follow the events: wait until every request's lineage is resolved (its
    // models listed, or no records). Not until each is `scheduled`: with no worker here a model's
    // first job never ends, and a request that missed that job's coalescing window waits behind
    // it in `received` by design (one job per model at a time), which a loaded machine makes likely.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = (await call('GET', '/v1/compliance/summary', KEYS.compliance))
        .body as unknown as Summary;
      if (
        s.totals?.requests === 4 &&
        s.requests.rows.every((r) => r.status === 'no-records' || r.modelIds.length > 0)
      )
        break;
      if (Date.now() > deadline) {
        throw new Error(
          `requests did not settle: ${JSON.stringify(s)}\n--- governance output ---\n${app.output().slice(-8000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 280_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('GET /v1/compliance/summary: compliance and auditor only, coded errors, overdue first, chains per model', async () => {
    const anonymous = await call('GET', '/v1/compliance/summary', null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.body['code']).toBe('UNAUTHENTICATED');
    expect((await call('GET', '/v1/compliance/summary', KEYS.publisher)).status).toBe(403);
    const bad = await call(
      'GET',
      '/v1/compliance/summary?from=2026-11-02&to=2026-11-01',
      KEYS.auditor,
    );
    expect(bad.status).toBe(400);
    expect(bad.body['code']).toBe('INVALID_TIME_RANGE');
    expect(
      (await call('GET', '/v1/compliance/summary?since=2026', KEYS.auditor)).body['code'],
    ).toBe('SCHEMA_VIOLATION');

    const res = await call('GET', '/v1/compliance/summary', KEYS.auditor);
    expect(res.status).toBe(200);
    const s = res.body as unknown as Summary;
    expect(s.totals).toMatchObject({ requests: 4, overdue: 2, certificates: 5, models: 2 });
    expect(s.requests.rows.map((r) => r.requestId).slice(0, 3)).toEqual([
      requestIds['late-oldest'],
      requestIds['late-recent'],
      requestIds['open'],
    ]);
    expect(s.requests.rows.find((r) => r.requestId === requestIds['no-records'])?.status).toBe(
      'no-records',
    );
    const lr = s.models.find((m) => m.modelId === 'credit-lr');
    expect(lr?.certificates).toMatchObject({ total: 3, byMethod: { 'newton-lissa': 3 } });
    expect(lr?.cumulativeEpsilon.map((p) => p.epsilon)).toEqual([1, 2, 3]);
    expect(lr?.budget.spentEpsilon).toBe(3);
    expect(lr?.accuracy.map((a) => a.version)).toEqual([1, 2, 3, 4]);
    const mlp = s.models.find((m) => m.modelId === 'credit-mlp');
    expect(mlp?.certificates.byMethod).toEqual({ 'convex-newton': 1, retrain: 1 });
    expect(mlp?.budget.spentEpsilon).toBe(0);
  });

  it('GET /v1/compliance/report.pdf: a PDF of 2 + one page per model, naming the models', async () => {
    expect((await call('GET', '/v1/compliance/report.pdf', null)).status).toBe(401);
    const bad = await call('GET', '/v1/compliance/report.pdf?from=nonsense', KEYS.auditor);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const res = await call('GET', '/v1/compliance/report.pdf', KEYS.auditor);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = inspectPdf(res.bytes);
    expect(pdf.header).toMatch(/^%PDF-/);
    expect(pdf.pages).toBe(2 + MODELS.length);
    for (const id of MODELS) expect(pdf.text).toContain(`Model ${id}`);
    expect(pdf.text).toContain(requestIds['late-oldest']);
  });

  /** Coloured pixels inside an element's box, from a screenshot of just that box. */
  const colouredPixels = async (page: Page, selector: string): Promise<number> => {
    const box = await page.locator(selector).boundingBox();
    if (!box || box.width < 50 || box.height < 50)
      throw new Error(`${selector} is not laid out: ${JSON.stringify(box)}`);
    const image = decodePng(await page.screenshot({ clip: box }));
    expect(image.width).toBe(Math.round(box.width));
    // The chart's background is white: the decoder reads what the browser drew.
    expect(Array.from(image.data.subarray(0, 3))).toEqual([255, 255, 255]);
    return countColouredPixels(image);
  };

  it('the page: no data without sign-in; signed in, requests overdue first, certificates per model, charts drawn with data', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      const response = await page.goto(`${base}/dashboard`);
      expect(response?.status()).toBe(200);
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');

      // Not signed in: the sign-in form, no data anywhere, and the API refuses the page's calls.
      await page.locator('#sign-in-form').waitFor();
      expect(await page.locator('#content').isHidden()).toBe(true);
      expect(await page.locator('#requests-table tbody tr').count()).toBe(0);
      const text = await page.locator('body').innerText();
      for (const id of [...Object.values(requestIds), ...MODELS]) expect(text).not.toContain(id);
      expect(await page.evaluate(async () => (await fetch('/v1/compliance/summary')).status)).toBe(
        401,
      );

      // A wrong token: refused, still no data.
      await page.fill('#token', 'not-a-key-0000000000');
      await page.click('#sign-in-form button[type=submit]');
      await page.locator('#sign-in-error').waitFor({ state: 'visible' });
      expect(await page.locator('#content').isHidden()).toBe(true);
      expect(await page.evaluate('sessionStorage.length')).toBe(0);

      // Signed in as compliance.
      await page.fill('#token', KEYS.compliance);
      await page.click('#sign-in-form button[type=submit]');
      await page.locator('#requests-table tbody tr').first().waitFor();
      expect(await page.evaluate("sessionStorage.getItem('lethe.dashboard.token')")).toBe(
        KEYS.compliance,
      );
      // (Page-side code as strings: this project type-checks without the DOM library.)
      const rows = await page.evaluate<{ id: string; cls: string }[]>(
        `Array.from(document.querySelectorAll('#requests-table tbody tr'))
           .map((tr) => ({ id: tr.dataset.requestId, cls: tr.className }))`,
      );
      expect(rows.map((r) => r.id)).toEqual([
        requestIds['late-oldest'],
        requestIds['late-recent'],
        requestIds['open'],
        requestIds['no-records'],
      ]);
      expect(rows.map((r) => r.cls === 'overdue')).toEqual([true, true, false, false]);
      const models = await page.evaluate<string[][]>(
        `Array.from(document.querySelectorAll('#models-table tbody tr'))
           .map((tr) => Array.from(tr.children).map((td) => td.textContent))`,
      );
      expect(models.map((cells) => cells.slice(0, 3))).toEqual([
        ['credit-lr', '3', 'newton-lissa 3'],
        ['credit-mlp', '2', 'convex-newton 1, retrain 1'],
      ]);
      expect(await page.locator('#total-overdue strong').innerText()).toBe('2');

      // The charts, drawn with data: series colours in their screenshots.
      const shot = process.env['LETHE_DASHBOARD_SCREENSHOT'];
      if (shot) await page.screenshot({ path: shot, fullPage: true });
      expect(await page.locator('#chart-epsilon').getAttribute('data-points')).toBe('5');
      const epsilonWithData = await colouredPixels(page, '#chart-epsilon');
      const accuracyWithData = await colouredPixels(page, '#chart-accuracy');

      // The same page over a range with nothing in it: axes only.
      await page.fill('#from', '2000-01-01');
      await page.fill('#to', '2000-01-02');
      await page.click('#range-form button[type=submit]');
      await page.locator('#chart-epsilon[data-points="0"]').waitFor();
      await page.locator('#chart-accuracy[data-points="0"]').waitFor();
      const epsilonEmpty = await colouredPixels(page, '#chart-epsilon');
      const accuracyEmpty = await colouredPixels(page, '#chart-accuracy');
      expect(epsilonEmpty).toBeLessThan(20);
      expect(accuracyEmpty).toBeLessThan(20);
      expect(epsilonWithData).toBeGreaterThan(500);
      expect(accuracyWithData).toBeGreaterThan(500);

      // Signing out forgets the token and the data.
      await page.click('#sign-out');
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(await page.locator('#requests-table tbody tr').count()).toBe(0);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
