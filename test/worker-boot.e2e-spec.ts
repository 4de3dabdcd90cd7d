import { freePort } from '@lethe/local-infra';
import { readNativeBuildStatus } from '@lethe/unlearning';
import { type AppProcess, startApp, waitForHttp } from './support/app-process';

/**
 * Black-box: the worker boots, picks a tfjs backend and says which on /health. With the native
 * build (scripts/install-tensorflow.js) `auto` must pick TensorFlow; without it, wasm, and the
 * install step's reason must reach /health and the log.
 */
describe('unlearning worker boot', () => {
  let app: AppProcess;
  afterEach(async () => app?.stop());
  const native = readNativeBuildStatus();

  const health = async (port: number): Promise<Record<string, unknown>> =>
    (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;

  const boot = async (backend: string): Promise<Record<string, unknown>> => {
    const port = await freePort();
    app = startApp('unlearning-worker', {
      PORT: String(port),
      LETHE_TF_BACKEND: backend,
      WORKER_ID: 'w-e2e',
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, 180_000, app);
    return health(port);
  };

  if (native?.ok) {
    it('auto picks native TensorFlow and reports it and its version on /health', async () => {
      const body = await boot('auto');
      expect(body).toMatchObject({
        status: 'ok',
        workerId: 'w-e2e',
        backend: 'tensorflow',
        binding: native.package,
        versions: { tensorflow: native.tensorflow, tfjs: expect.any(String) },
      });
      expect(app.output()).toContain('tensorflow backend selected');
    }, 240_000);

    it('wasm can still be forced, and /health says so', async () => {
      const body = await boot('wasm');
      expect(body).toMatchObject({ backend: 'wasm', fallbacks: [] });
      expect(body).not.toHaveProperty('binding');
    }, 240_000);
  } else {
    it('auto falls back to wasm and reports the backend and why on /health and in the log', async () => {
      const body = await boot('auto');
      expect(body).toMatchObject({ status: 'ok', workerId: 'w-e2e', backend: 'wasm' });
      const fallbacks = body['fallbacks'] as string[];
      expect(fallbacks[0]).toContain('@tensorflow/tfjs-node-gpu');
      expect(fallbacks[1]).toContain('@tensorflow/tfjs-node');
      expect(fallbacks[2]).toMatch(/^native build: /);
      expect(app.output()).toContain('tensorflow backend selected');
      expect(app.output()).toContain('native build: ');
    }, 240_000);

    it('refuses to start when a native backend is demanded but cannot load', async () => {
      const port = await freePort();
      app = startApp('unlearning-worker', { PORT: String(port), LETHE_TF_BACKEND: 'tensorflow' });
      expect(await app.exited).not.toBe(0);
      expect(app.output()).toMatch(
        /failed to start: \[TF_BACKEND_UNAVAILABLE\] .*no TensorFlow native binding/,
      );
    }, 240_000);
  }
});
