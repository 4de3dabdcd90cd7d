/**
 * Where the time of one convex-newton request goes (issue 11), at n = N (env N, default 7,000)
 * MNIST digits featurized by a 784-64-10 tanh MLP trained on 2,000 public digits (5 epochs: the
 * features only need to be realistic for timing): each part of a kept-factor request timed alone
 * (full float64 gradient pass, downdate of one removed row, the triangular solves, release noise,
 * digest, the D_r copy), five whole kept-factor requests, and one cold retrain, in one process.
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/unlearning/convex-request-profile.ts
 */
import * as os from 'node:os';
import {
  convexNewtonUnlearn,
  convexRetrain,
  createTfjsEngine,
  featurize,
  keepConvexFactor,
  selectRows,
  trainConvexModel,
  addReleaseNoise,
  type Dataset,
} from '@lethe/unlearning';
import { softmaxRegressionLossAndGradient } from '../../libs/unlearning/src/domain/convex/softmax-regression';
import {
  choleskyUpperDowndate,
  choleskyUpperDowndateMany,
  downdateSoftmaxHessianFactor,
  keptFactorDirection,
  gradientWithoutRows,
} from '../../libs/unlearning/src/domain/convex/hessian-factor';
import { modelDigest } from '../../libs/unlearning/src/application/model/weights-codec';
import { rowsOf } from '../../libs/unlearning/src/application/convex/solve-to-tolerance';
import { publicSplit, trainFrozenExtractor } from '../support/frozen-extractor';
import { mnistSplit, trainingSet, now } from './common';

const N = Number(process.env.N ?? 7000);
async function main() {
  const engine = await createTfjsEngine();
  const { train } = mnistSplit();
  const { publicSet: pub, deletable: del } = publicSplit(train);
  const { extractor } = await trainFrozenExtractor(engine, pub, {
    width: 64,
    epochs: 5,
    description: 'x',
  });
  const data: Dataset = featurize(extractor, trainingSet(del, N, `convex/${N}`));
  const solver = { tolerance: 1e-3, maxSteps: 5, maxStepsFromScratch: 40, hessian: 'cg' as const };
  let t = now();
  const model = await trainConvexModel(engine, {
    data,
    l2: 1e-2,
    solver,
    dataDigest: 'x',
    extractor,
  });
  console.log('train', now() - t);
  t = now();
  const factor = keepConvexFactor(model.params, data, 1e-2);
  console.log('factor build', now() - t, os.loadavg());
  const rows = rowsOf(data);
  const time = (label: string, f: () => unknown, reps = 3) => {
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = now();
      f();
      ts.push(now() - t0);
    }
    console.log(label, ts.map((x) => x.toFixed(1)).join(' '));
  };
  time('gradient f32 theta', () => softmaxRegressionLossAndGradient(model.params, rows, 1e-2));
  time('gradient f64 theta', () =>
    softmaxRegressionLossAndGradient(Float64Array.from(model.params), rows, 1e-2),
  );
  const forget = selectRows(data, [5], 'f');
  time('downdate', () => downdateSoftmaxHessianFactor(factor, rowsOf(forget)), 5);
  const p = factor.p;
  const V = new Float64Array(10 * p);
  for (let i = 0; i < V.length; i++) V[i] = 0.01 * Math.sin(i);
  // Twice in turn, so that neither order's warm-up favours one side.
  for (let round = 0; round < 2; round++) {
    time(
      'seq 10 downdates',
      () => {
        const U = Float64Array.from(factor.upper);
        for (let t = 0; t < 10; t++) choleskyUpperDowndate(U, p, V.slice(t * p, t * p + p));
      },
      5,
    );
    time(
      'many 10 downdates',
      () => {
        const U = Float64Array.from(factor.upper);
        choleskyUpperDowndateMany(U, p, V.slice(), 10);
      },
      5,
    );
  }
  time('gradWithout', () =>
    gradientWithoutRows(model.params, factor.lastGradient!.gradient, N, rowsOf(forget), 1e-2),
  );
  time('direction', () => keptFactorDirection(factor, factor.lastGradient!.gradient, N));
  time('noise', () => addReleaseNoise(model.params, 0.01));
  time('digest', () => modelDigest(model.arch, model.params));
  time('selectRows', () =>
    selectRows(
      data,
      Array.from({ length: N - 1 }, (_, i) => i),
      'r',
    ),
  );
  const start = { arch: model.arch, params: model.params, recipe: model.profile.recipe };
  const settings = { epsilon: 1, delta: 1e-5, solver: { ...solver, keptFactor: true }, extractor };
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    const out = await convexNewtonUnlearn(engine, {
      start,
      data,
      forgetIds: [data.ids[i * 7] as string],
      settings,
      seed: 's',
      factor,
    });
    console.log(
      'kept request',
      (now() - t0).toFixed(1),
      JSON.stringify(out.private.timingsMs),
      out.private.gradients,
    );
  }
  t = now();
  const rt = await convexRetrain(engine, {
    start,
    data,
    forgetIds: [data.ids[3] as string],
    settings: { ...settings, solver },
    seed: 's',
  });
  console.log(
    'retrain',
    now() - t,
    rt.private.newtonSteps,
    rt.private.hvps,
    rt.private.gradients,
    os.loadavg(),
  );
}
void main();
