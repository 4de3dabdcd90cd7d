/**
 * The set-up the benchmarks that compare TensorFlow backends share: which backends to run, an
 * engine on one of them, the machine line with the native build's record, and a median.
 */
import * as os from 'node:os';
import {
  createTfjsEngine,
  initTensorflow,
  readNativeBuildStatus,
  type BackendInfo,
  type NumericEngine,
} from '@lethe/unlearning';

/** A backend a bench can run: native TensorFlow (tfjs-node) or wasm. */
export type BackendMode = 'tensorflow' | 'wasm';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

export interface BackendPlan {
  /** Native TensorFlow first when it is built (and wanted), then wasm. */
  readonly modes: BackendMode[];
  /** The bench's machine line: cores, CPU, node and the native build's record. */
  readonly machine: string;
}

/**
 * The backends to run, in order: `wanted` (default both) without native TensorFlow when its
 * build is missing or failed (scripts/install-tensorflow.js records why).
 */
export function backendPlan(wanted: readonly BackendMode[] = ['tensorflow', 'wasm']): BackendPlan {
  const status = readNativeBuildStatus();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return {
    modes: wanted.filter((m) => m !== 'tensorflow' || status?.ok),
    machine:
      `- machine: ${os.cpus().length} cores (${cpu}), shared with other jobs; node ${process.version}; ` +
      `native build: ${status?.ok ? `${status.package} on TensorFlow ${status.tensorflow}` : `none (${status?.reason ?? 'no record'})`}`,
  };
}

/** An engine on `mode`, with that backend initialised and described. */
export async function openBackend(
  mode: BackendMode,
): Promise<{ engine: NumericEngine; backend: BackendInfo }> {
  const engine = await createTfjsEngine(mode);
  const backend = await initTensorflow(mode);
  return { engine, backend };
}
