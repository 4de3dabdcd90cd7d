import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from './tf';
import { registerGradientFixes } from './gradient-fixes';
import { unlearningError, EngineErrorCode } from '../../application/errors';

/** What `LETHE_TF_BACKEND` may say. */
export type BackendMode = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_MODES: readonly BackendMode[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export type NativeBinding = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
/** auto tries these in order: the GPU build first, then the CPU build. */
export const NATIVE_BINDINGS: readonly NativeBinding[] = [
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node',
];

export interface BackendInfo {
  /** tfjs backend name actually in use: 'tensorflow' | 'wasm' | 'cpu'. */
  readonly name: string;
  /** For 'tensorflow': which binding package was loaded. */
  readonly binding?: NativeBinding;
  readonly versions: {
    /** tfjs-core's version (every backend runs through it). */
    readonly tfjs: string;
    /** For 'tensorflow': the TensorFlow C library the binding runs on (TF_Version()). */
    readonly tensorflow?: string;
  };
  /** What results record as their backend: name and version, e.g. `tensorflow 2.21.0 (@tensorflow/tfjs-node)`. */
  readonly label: string;
  readonly requested: BackendMode;
  /** Why a preferred backend was skipped, in order of attempts (with the install step's reason). */
  readonly fallbacks: readonly string[];
}

/** What `scripts/install-tensorflow.js` recorded about the native build of this install. */
export interface NativeBuildStatus {
  readonly ok: boolean;
  readonly variant?: string;
  readonly package?: string;
  readonly tensorflow?: string;
  readonly source?: string;
  readonly reason?: string;
}

/** Loads a native binding package; replaced in tests to see the behaviour without one. */
export type BindingLoader = (name: NativeBinding) => void;

let current: BackendInfo | undefined;
/** Whether `current` came from the real loader (only then is it reused for the same mode). */
let currentReusable = false;
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
 * The native bindings are optional: the install step builds one when it can
 * (scripts/install-tensorflow.js, docs/adr/0007-native-tensorflow.md). A plain `require`, so that
 * bundlers and ts never resolve the name at build time.
 */
const requireBinding: BindingLoader = (name) => {
  // TensorFlow's C++ start-up log is noise here; CUDA memory grows on demand rather than all at once.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  process.env['TF_FORCE_GPU_ALLOW_GROWTH'] ??= 'true';
  // tfjs-node 4.22 registers ZerosLike twice and tfjs warns about it: a known, harmless quirk.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (
      typeof args[0] === 'string' &&
      /^The kernel '\w+' for backend 'tensorflow' is already/.test(args[0])
    )
      return;
    warn(...args);
  };
  try {
    const req: NodeRequire = require;
    req(name);
  } finally {
    console.warn = warn;
  }
};

const tryLoad = (
  load: BindingLoader,
  name: NativeBinding,
): { ok: true } | { ok: false; reason: string } => {
  try {
    load(name);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `${name}: ${(e as Error).message.split('\n')[0]}` };
  }
};

/**
 * The status file the install step writes into node_modules/.lethe/ (npm ci wipes it with the
 * build). Undefined when the install step never ran (e.g. `npm ci --ignore-scripts`).
 */
export const readNativeBuildStatus = (): NativeBuildStatus | undefined => {
  try {
    const tfjsPkg = require.resolve('@tensorflow/tfjs/package.json');
    const file = path.join(path.dirname(tfjsPkg), '..', '..', '.lethe', 'tensorflow.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')) as NativeBuildStatus;
  } catch {
    return undefined;
  }
};

const nativeBuildNote = (): string => {
  const s = readNativeBuildStatus();
  if (!s) return 'native build: no record (the install step did not run; `npm run tf:install`)';
  if (s.ok) return `native build: ${s.package ?? '?'} on TensorFlow ${s.tensorflow ?? '?'}`;
  return `native build: ${s.reason ?? 'failed'}`;
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

/** TF_Version() of the C library behind the 'tensorflow' backend (its binding exposes it). */
const tensorflowVersion = (): string | undefined =>
  (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding?.TF_Version;

const describeBackend = (
  name: string,
  requested: BackendMode,
  fallbacks: readonly string[],
  binding?: NativeBinding,
): BackendInfo => {
  const versions = {
    tfjs: tf.version_core,
    ...(name === 'tensorflow' ? { tensorflow: tensorflowVersion() ?? 'unknown' } : {}),
  };
  const label =
    name === 'tensorflow'
      ? `tensorflow ${versions.tensorflow} (${binding ?? 'native'})`
      : `${name} (tfjs ${versions.tfjs})`;
  return { name, ...(binding ? { binding } : {}), versions, label, requested, fallbacks };
};

const select = async (mode: BackendMode, load: BindingLoader): Promise<BackendInfo> => {
  const fallbacks: string[] = [];
  if (mode === 'auto' || mode === 'tensorflow') {
    for (const binding of NATIVE_BINDINGS) {
      const r = tryLoad(load, binding);
      if (r.ok && (await trySet('tensorflow'))) {
        return describeBackend('tensorflow', mode, fallbacks, binding);
      }
      fallbacks.push(r.ok ? `${binding}: loaded but backend 'tensorflow' did not start` : r.reason);
    }
    fallbacks.push(nativeBuildNote());
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
    if (r.ok) return describeBackend('wasm', mode, fallbacks);
    fallbacks.push(r.reason);
    if (mode === 'wasm') {
      throw unlearningError(
        EngineErrorCode.BackendUnavailable,
        'wasm backend failed',
        { fallbacks },
        'unavailable',
      );
    }
  }
  if (await trySet('cpu')) return describeBackend('cpu', mode, fallbacks);
  throw unlearningError(
    EngineErrorCode.BackendUnavailable,
    'no tfjs backend could start',
    { fallbacks },
    'unavailable',
  );
};

/**
 * Selects the tfjs backend (mode from the argument, else `LETHE_TF_BACKEND`, else auto: the GPU
 * build of TensorFlow, then the CPU build, then wasm) and registers the gradient fixes.
 * Idempotent: a second call with the same mode returns the cached info; a call with another mode
 * switches backend. `load` replaces the binding loader (tests: the behaviour without a binding).
 */
export const initTensorflow = async (
  mode: BackendMode = parseBackendMode(process.env['LETHE_TF_BACKEND']),
  load: BindingLoader = requireBinding,
): Promise<BackendInfo> => {
  registerGradientFixes();
  const cacheable = load === requireBinding;
  if (cacheable && currentReusable && current?.requested === mode) {
    if (tf.getBackend() === current.name) return current;
  }
  if (cacheable && pending && pendingMode === mode) return pending;
  const attempt = select(mode, load);
  if (!cacheable) {
    const info = await attempt;
    current = info;
    currentReusable = false;
    return info;
  }
  pendingMode = mode;
  pending = attempt.then(
    (info) => {
      current = info;
      currentReusable = true;
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

/** The tfjs backend in use: 'tensorflow' | 'wasm' | 'cpu'. */
export const backendName = (): string => tf.getBackend();

/** The selection in force (after `initTensorflow`), e.g. for a health endpoint. */
export const currentBackend = (): BackendInfo | undefined =>
  current && current.name === tf.getBackend() ? current : undefined;

/**
 * What every result records as its backend: the name and version, e.g.
 * `tensorflow 2.21.0 (@tensorflow/tfjs-node)` or `wasm (tfjs 4.22.0)`.
 */
export const backendLabel = (): string =>
  currentBackend()?.label ?? describeBackend(tf.getBackend(), 'auto', []).label;
