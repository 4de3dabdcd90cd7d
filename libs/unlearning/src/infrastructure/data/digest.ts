import { leBytes } from '../../application/model/bytes';

export { leBytes };
/** The dataset digest lives in application/model/dataset-digest.ts (the worker's jobs use it too). */
export { datasetDigest } from '../../application/model/dataset-digest';
