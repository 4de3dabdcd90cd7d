import type { ModelStore } from '@lethe/unlearning/application/ports/model-store.port';

/**
 * The public model store, read side: what `GET /v1/models/:id/versions/:v` and the weights
 * download read (adapter: the unlearning library's DirectoryModelStore on LETHE_MODEL_STORE_DIR,
 * the directory the worker writes). Only released weights live there; the private noise-free
 * chain store is another directory that governance never opens.
 */
export type ModelVersionStore = Pick<ModelStore, 'getVersion' | 'readWeights'>;

/** Null when no model store directory is configured. */
export const MODEL_VERSION_STORE = Symbol('ModelVersionStore');
