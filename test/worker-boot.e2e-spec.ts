import { freePort } from '@lethe/local-infra';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

/** Black-box: the worker boots, picks a tfjs backend (wasm here: no native binding installs) and says which. */
describe('unlearning worker boot', () => {
  let app: AppProcess;
  afterEach(async () => app?.stop());

  it('auto falls back to wasm and reports the backend on /health', async () => {
    const port = await freePort();
    app = startApp('unlearning-worker', {
      PORT: String(port),
      LETHE_TF_BACKEND: 'auto',
      WORKER_ID: 'w-e2e',
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, 90_000, app);
    const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<
      string,
      unknown
    >;
    expect(body).toEqual({ status: 'ok', workerId: 'w-e2e', backend: 'wasm' });
    expect(app.output()).toContain('tensorflow backend selected');
  }, 120_000);

  it('refuses to start when a native backend is demanded but cannot load', async () => {
    const port = await freePort();
    app = startApp('unlearning-worker', { PORT: String(port), LETHE_TF_BACKEND: 'tensorflow' });
    expect(await app.exited).not.toBe(0);
    expect(app.output()).toMatch(
      /failed to start: \[TF_BACKEND_UNAVAILABLE\] .*no TensorFlow native binding/,
    );
  }, 120_000);
});
