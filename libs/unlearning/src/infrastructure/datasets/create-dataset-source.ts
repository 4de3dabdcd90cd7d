import { parseDatasetSourceDescriptor } from '../../application/ports/dataset-source-descriptor';
import type { DatasetSource } from '../../application/ports/dataset-source.port';
import { FileDatasetSource } from './file-source';
import { MnistDatasetSource } from './mnist-source';

/**
 * The adapter for a descriptor, validated here (an untrusted one is fine: a bad one throws
 * `DATASET_SOURCE_INVALID_DESCRIPTOR`). `dataRoot` confines file sources (configure it per
 * deployment, e.g. `LETHE_DATA_ROOT`).
 */
export const createDatasetSource = (
  descriptor: unknown,
  options: { readonly dataRoot: string },
): DatasetSource => {
  const d = parseDatasetSourceDescriptor(descriptor);
  return d.kind === 'mnist' ? new MnistDatasetSource(d) : new FileDatasetSource(d, options);
};
