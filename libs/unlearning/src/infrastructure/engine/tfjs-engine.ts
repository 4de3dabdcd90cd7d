import type { NumericEngine } from '../../application/ports/numeric-engine';
import { tf } from '../tf/tf';
import { backendLabel, initTensorflow, type BackendMode } from '../tf/backend';
import { DeviceData } from '../data/device-data';
import { Objective } from '../model/objective';
import { trainProjectedAdam } from '../training/train';
import { evaluate, posteriors } from '../evaluation/evaluate';
import { measureConstants } from './constants';
import { inverseHvpOnDataset } from './inverse-hvp';

/**
 * The TensorFlow.js adapter of the NumericEngine port. Call once per process (it selects the
 * backend from `mode` or LETHE_TF_BACKEND and registers the gradient fixes) and pass the engine to
 * the use cases (trainModel, unlearn, processDeletionRequest, collectEvidence).
 */
export const createTfjsEngine = async (mode?: BackendMode): Promise<NumericEngine> => {
  await initTensorflow(mode);
  return tfjsEngine;
};

/** The adapter itself; usable directly once `initTensorflow` has run. */
export const tfjsEngine: NumericEngine = {
  backend: backendLabel,
  train: (req) => trainProjectedAdam(req),
  gradient: ({ arch, l2, params, data }) => {
    const objective = new Objective(arch, l2);
    const device = DeviceData.from(data);
    const w = tf.tensor1d(params);
    try {
      const g = objective.gradient(w, device);
      const out = g.dataSync().slice() as Float32Array;
      g.dispose();
      return Promise.resolve(out);
    } finally {
      w.dispose();
      device.dispose();
    }
  },
  hvp: ({ arch, l2, params, data, damping, vector }) => {
    const objective = new Objective(arch, l2);
    const device = DeviceData.from(data);
    const w = tf.tensor1d(params);
    const v = tf.tensor1d(vector);
    try {
      const h = objective.hvp(w, v, device, damping);
      const out = h.dataSync().slice() as Float32Array;
      h.dispose();
      return Promise.resolve(out);
    } finally {
      w.dispose();
      v.dispose();
      device.dispose();
    }
  },
  inverseHvp: (req) => inverseHvpOnDataset(req),
  measureConstants: (req) => measureConstants(req),
  evaluate,
  posteriors,
};
