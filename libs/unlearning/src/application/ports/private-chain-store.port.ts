import type { ModelId } from '@lethe/shared';

/*
 * The worker's PRIVATE store of the noise-free chain state w~(k) (docs/contracts.md §6 invariant 4: the noise-free
 * chain never appears in a released model, a certificate, a log line, an export or a message).
 * Adapter: infrastructure/model-store/directory-private-chain-store.ts, in a root of its own that
 * must not overlap the public model store's. Nothing serves it: no HTTP route, no digest-addressed
 * read, no listing of weights; only the worker reads it back to continue the chain.
 *
 * The types keep it apart from the public `ModelStore`: a `PrivateChainState` is not a
 * `PublicWeights`, and its weight bytes (`PrivateWeightBytes`) cannot be branded public
 * (`asReleasedWeights` refuses them at compile time).
 */

declare const privateChainBrand: unique symbol;
declare const privateBytesBrand: unique symbol;

/** Weight bytes of the noise-free chain (a weights file). Never hand these to the public store. */
export type PrivateWeightBytes = Uint8Array & { readonly [privateBytesBrand]: true };

/**
 * A kept convex-newton factor (application/convex/factor-codec.ts): the curvature of the private
 * data at the noise-free centre, bound to one chain state by its digest. PRIVATE like the chain.
 */
export type PrivateFactorBytes = PrivateWeightBytes;

/** Brands encoded factor bytes private (`encodeKeptFactor`'s output). */
export const sealPrivateFactor = (bytes: Uint8Array): PrivateFactorBytes =>
  bytes as PrivateFactorBytes;

/**
 * A sealed chain state: the `serializeSequentialState` pair (JSON meta + noise-free weights file),
 * branded private. Create it with `sealPrivateChainState` right where the state is serialised.
 */
export interface PrivateChainState {
  readonly [privateChainBrand]: true;
  /** `SerializedSequentialState.meta` (JSON, includes the chain digest). */
  readonly meta: string;
  /** `SerializedSequentialState.weights` (weights file of the noise-free parameters). */
  readonly weights: PrivateWeightBytes;
}

export const sealPrivateChainState = (s: {
  readonly meta: string;
  readonly weights: Uint8Array;
}): PrivateChainState => ({ meta: s.meta, weights: s.weights }) as unknown as PrivateChainState;

export interface PrivateChainStore {
  /**
   * Stores the chain state behind released version `version` of `modelId`. Write-once: the same
   * bytes again is a no-op (`created: false`); different bytes is `PRIVATE_CHAIN_STATE_CONFLICT`.
   */
  put(
    modelId: ModelId,
    version: number,
    state: PrivateChainState,
  ): Promise<{ readonly created: boolean }>;
  /** The state behind `version`, checksum-verified (`PRIVATE_CHAIN_STATE_CORRUPT`), or null. */
  get(modelId: ModelId, version: number): Promise<PrivateChainState | null>;
  /** The state of the highest stored version, verified, or null when the model has none. */
  latest(
    modelId: ModelId,
  ): Promise<{ readonly version: number; readonly state: PrivateChainState } | null>;
  /**
   * Keeps the convex-newton factor beside the chain state of `version` (a cache, not part of the
   * chain: docs/method.md §10 "The kept factor"). Replaces any earlier one, atomically against a
   * process crash (a reader sees the old file or the whole new one); it is not fsync'ed, so after
   * a machine crash it may be missing or damaged, and is then refused by the codec's SHA-256 and
   * rebuilt. The bytes name the chain digest they belong to.
   */
  putFactor(modelId: ModelId, version: number, bytes: PrivateFactorBytes): Promise<void>;
  /** The kept factor's bytes for `version` as stored (unverified: the codec checks them), or null. */
  getFactor(modelId: ModelId, version: number): Promise<PrivateFactorBytes | null>;
}
