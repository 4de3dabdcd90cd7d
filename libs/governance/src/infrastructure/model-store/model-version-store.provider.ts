import { DirectoryModelStore } from '@lethe/unlearning/infrastructure/model-store/directory-model-store';
import type { ModelVersionStore } from '../../application/ports/model-version-store.port';

/**
 * The public model store on LETHE_MODEL_STORE_DIR (the directory the worker writes), or null when
 * none is configured. Never the private chain store: that is the worker's own directory.
 */
export const openModelVersionStore = async (
  root: string | null,
): Promise<ModelVersionStore | null> => (root === null ? null : DirectoryModelStore.open({ root }));
