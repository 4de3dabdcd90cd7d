import type { PrivacyLedger } from '../domain/privacy/accountant';
import { unlearningError, EngineErrorCode } from './errors';
import { decodeWeights, encodeWeights, modelDigest } from './model/weights-codec';
import type { SequentialState } from './sequential';

/**
 * Serialised chain state for the worker's PRIVATE store: the noise-free weights as a weights file
 * (see weights-codec.ts) and everything else as JSON. Neither part may leave the private store.
 */
export interface SerializedSequentialState {
  readonly meta: string;
  readonly weights: Uint8Array;
}

interface Meta {
  readonly format: 'lethe.sequential-state/v1';
  readonly recipe: SequentialState['recipe'];
  readonly profile: SequentialState['profile'];
  readonly chainDigest: string;
  readonly chainOrigin: SequentialState['chainOrigin'];
  readonly remainingIds: readonly string[];
  readonly k: number;
  readonly previousReleaseDigest: string | null;
  /** `uncertifiedReleases` is absent in states stored before it was counted. */
  readonly ledger: Omit<PrivacyLedger, 'uncertifiedReleases'> & {
    readonly uncertifiedReleases?: number;
  };
}

export const serializeSequentialState = (s: SequentialState): SerializedSequentialState => {
  const meta: Meta = {
    format: 'lethe.sequential-state/v1',
    recipe: s.recipe,
    profile: s.profile,
    chainDigest: s.chainDigest,
    chainOrigin: s.chainOrigin,
    remainingIds: s.remainingIds,
    k: s.k,
    previousReleaseDigest: s.previousReleaseDigest,
    ledger: s.ledger,
  };
  return { meta: JSON.stringify(meta), weights: encodeWeights(s.arch, s.chainParams) };
};

/** Restores a chain state; the weights must match the recorded digest. */
export const deserializeSequentialState = (stored: SerializedSequentialState): SequentialState => {
  const meta = JSON.parse(stored.meta) as Meta;
  if (meta.format !== 'lethe.sequential-state/v1') {
    throw unlearningError(
      EngineErrorCode.InvalidWeights,
      `unknown sequential state format ${String(meta.format)}`,
      {},
      'validation',
    );
  }
  const { arch, params } = decodeWeights(stored.weights);
  if (modelDigest(arch, params) !== meta.chainDigest) {
    throw unlearningError(
      EngineErrorCode.InvalidWeights,
      'chain weights do not match the recorded digest',
      {},
      'validation',
    );
  }
  // States stored before the profile's L2 coefficient was renamed from `lambda` to `l2`.
  const legacy = meta.profile as SequentialState['profile'] & { lambda?: number };
  const { lambda: legacyL2, ...rest } = legacy;
  const profile =
    legacy.l2 === undefined && legacyL2 !== undefined ? { ...rest, l2: legacyL2 } : meta.profile;
  return {
    arch,
    recipe: meta.recipe,
    profile,
    chainParams: params,
    chainDigest: meta.chainDigest,
    chainOrigin: meta.chainOrigin,
    remainingIds: meta.remainingIds,
    k: meta.k,
    previousReleaseDigest: meta.previousReleaseDigest,
    // Ledgers stored before uncertified releases were counted had none.
    ledger: Object.freeze({
      ...meta.ledger,
      uncertifiedReleases: meta.ledger.uncertifiedReleases ?? 0,
    }),
  };
};
