import * as path from 'node:path';
import { tf } from './tf';
import { registerGradientFixes } from './gradient-fixes';
import { unlearningError, EngineErrorCode } from '../../application/errors';

/** What `LETHE_TF_BACKEND` may say. */
export type BackendMode = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_MODES: readonly BackendMode[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** tfjs backend name actually in use: 'tensorflow' | 'wasm' | 'cpu'. */
  readonly name: string;
  /** For 'tensorflow': which binding package was loaded. */
  readonly binding?: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
  readonly requested: BackendMode;
  /** Why a preferred backend was skipped, in order of attempts. */
  readonly fallbacks: readonly string[];
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;
let pendingMode: BackendMode | undefined;

export const parseBackendMode = (raw: string | undefined): BackendMode => {
  const v = (raw ?? 'auto').trim().toLowerCase();
  if ((BACKEND_MODES as readonly string[]).includes(v)) return v as BackendMode;
  throw unlearningError(
    EngineErrorCode.BackendUnavailable,
    `LETHE_TF_BACKEND must be one of ${BACKEND_MODES.join('|')}, got "${raw}"`,
    { value: raw },
    'validation',
  );
};

/**
 * A guarded dynamic require: the native bindings are optional and usually absent. `module.require`
 * indirection keeps bundlers and ts from resolving the name at build time.
 */
const tryRequire = (name: string): { ok: true } | { ok: false; reason: string } => {
  try {
    const req: NodeRequire = require;
    req(name);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `${name}: ${(e as Error).message.split('\n')[0]}` };
  }
};

const wasmDistDir = (): string => {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
};

const tryWasm = async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
  try {
    // Loaded lazily: importing it registers a backend that needs async initialisation.
    const req: NodeRequire = require;
    const wasm = req(
      '@tensorflow/tfjs-backend-wasm',
    ) as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
    // Node: no worker threads for the wasm backend (tfjs #3830); one thread, said explicitly.
    wasm.setThreadsCount(1);
    const ok = await tf.setBackend('wasm');
    return ok ? { ok: true } : { ok: false, reason: 'wasm: setBackend returned false' };
  } catch (e) {
    return { ok: false, reason: `wasm: ${(e as Error).message}` };
  }
};

const trySet = async (name: string): Promise<boolean> => {
  try {
    const ok = await tf.setBackend(name);
    if (ok && name === 'cpu') {
      // The cpu backend prints an "install tfjs-node" banner on first use; the choice is ours.
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    }
    return ok;
  } catch {
    return false;
  }
};

const select = async (mode: BackendMode): Promise<BackendInfo> => {
  const fallbacks: string[] = [];
  if (mode === 'auto' || mode === 'tensorflow') {
    for (const binding of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
      const r = tryRequire(binding);
      if (r.ok && (await trySet('tensorflow'))) {
        return { name: 'tensorflow', binding, requested: mode, fallbacks };
      }
      fallbacks.push(r.ok ? `${binding}: loaded but backend 'tensorflow' did not start` : r.reason);
    }
    if (mode === 'tensorflow') {
      throw unlearningError(
        EngineErrorCode.BackendUnavailable,
        'LETHE_TF_BACKEND=tensorflow but no TensorFlow native binding could be loaded',
        { fallbacks },
        'unavailable',
      );
    }
  }
  if (mode === 'auto' || mode === 'wasm') {
    const r = await tryWasm();
    if (r.ok) return { name: 'wasm', requested: mode, fallbacks };
    fallbacks.push(r.reason);
    if (mode === 'wasm') {
      throw unlearningError(
        EngineErrorCode.BackendUnavailable,
        'wasm backend failed',
        {
          fallbacks,
        },
        'unavailable',
      );
    }
  }
  if (await trySet('cpu')) return { name: 'cpu', requested: mode, fallbacks };
  throw unlearningError(
    EngineErrorCode.BackendUnavailable,
    'no tfjs backend could start',
    {
      fallbacks,
    },
    'unavailable',
  );
};

/**
 * Selects the tfjs backend (mode from the argument, else `LETHE_TF_BACKEND`, else auto) and
 * registers the gradient fixes. Idempotent: a second call with the same mode returns the cached
 * info; a call with another mode switches backend.
 */
export const initTensorflow = async (
  mode: BackendMode = parseBackendMode(process.env['LETHE_TF_BACKEND']),
): Promise<BackendInfo> => {
  registerGradientFixes();
  if (current && current.requested === mode && tf.getBackend() === current.name) return current;
  if (pending && pendingMode === mode) return pending;
  pendingMode = mode;
  pending = select(mode).then(
    (info) => {
      current = info;
      pending = undefined;
      return info;
    },
    (e: unknown) => {
      pending = undefined;
      throw e;
    },
  );
  return pending;
};

/** The backend in use, for reporting with every result. */
export const backendName = (): string => tf.getBackend();
