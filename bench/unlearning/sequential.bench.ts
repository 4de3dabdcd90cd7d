/**
 * (c) Sequential deletion requests on one model: 10 requests of 100 records on the MNIST MLP.
 *   npm run bench:unlearning:sequential        (LETHE_BENCH_QUICK=1 for a ~1–2 minute check)
 *
 * The same request sequence (disjoint random D_u's, seeded) is served by processDeletionRequest
 * under four per-model policies; per request: wall time, the action the policy chose (newton /
 * retrain / needs-retrain) and why, σ and the certified bound Δ, the cumulative ε (basic
 * composition and the tighter Gaussian-DP accountant), accuracy of what was released.
 */
import {
  createRng,
  createTfjsEngine,
  paperMnistMlp,
  permutation,
  processDeletionRequest,
  selectIds,
  startSequentialChain,
  trainModel,
  type SequentialPolicy,
  type SequentialSettings,
  type SequentialState,
  type SequentialStep,
} from '@lethe/unlearning';
import {
  acc,
  log,
  mnistSplit,
  now,
  num,
  printHeader,
  printTable,
  quick,
  recipe,
  run,
  sec,
  trainingSet,
} from './common';

const N = quick ? 2000 : 9000;
const EPOCHS = quick ? 3 : 10;
const REQUESTS = quick ? 3 : 10;
const PER_REQUEST = quick ? 50 : 100;
/**
 * λ = 5: certified mode widens the Lanczos Ritz values by 5 % of |λ_max| (ADR 0004), which puts
 * λ_min near −1.2 at this model, so λ = 1 never has a bound; λ = 5 does.
 */
const LAMBDA = 5;
const LISSA = { chains: 1, depth: quick ? 100 : 300, batchSize: 50 };
const TARGET = { epsilon: 1, delta: 1e-5 };
const arch = paperMnistMlp();

/** Short form of a policy reason for a table cell. */
function shortReason(reason: string): string {
  const floor = /drops accuracy to ([\d.]+), below the floor ([\d.]+)/.exec(reason);
  if (floor) return `accuracy ${num(Number(floor[1]))} < floor ${floor[2]}`;
  const budget =
    /after this release \(epsilon, delta\) = \(([^,]+), ([^)]+)\) > budget \(([^,]+), ([^)]+)\)/.exec(
      reason,
    );
  if (budget) return `cumulative ε ${num(Number(budget[1]))} > budget ${budget[3]}`;
  if (reason.includes('lambda + lambdaMin must be > 0'))
    return 'no bound: λ + λ_min ≤ 0 at the start point';
  if (reason.includes('lissa.H must be >=')) return 'no bound: H < λ_max + λ at the start point';
  if (reason.includes('LISSA_DIVERGED')) return 'no bound: LiSSA diverged';
  if (reason.startsWith('no valid certified bound')) return reason.slice(0, 90);
  if (reason.startsWith('certified Newton step')) return 'within floor and budget';
  if (reason.startsWith('mode paper-experiment')) return 'fixed σ, guarantee "none"';
  if (reason.startsWith('retraining is not allowed')) return 'retraining not allowed';
  return reason.length > 90 ? `${reason.slice(0, 87)}…` : reason;
}

async function main(): Promise<void> {
  const engine = await createTfjsEngine('wasm');
  printHeader(
    engine,
    `(c) ${REQUESTS} sequential requests of ${PER_REQUEST} records — MNIST MLP 784-32-32-10`,
    'npm run bench:unlearning:sequential',
  );
  const { train: real, test } = mnistSplit();
  const data = trainingSet(real, N);
  log('training the original model');
  let t0 = now();
  const model = await trainModel(engine, { arch, data, recipe: recipe(EPOCHS) });
  const trainMs = now() - t0;
  const constants = await engine.measureConstants({
    arch,
    params: model.params,
    retain: data,
    l2: 5e-4,
    damping: LAMBDA,
    settings: {
      seed: 'c/constants',
      iterations: 20,
      hessianSampleSize: 3000,
      minibatchSamples: 5,
      batchSize: 50,
    },
  });
  const H = Math.ceil(constants.suggestedScale);
  const testAcc0 = engine.evaluate(arch, model.params, test).accuracy;
  console.log(
    `- model: n = ${N} real digits, ${EPOCHS} epochs (C = 20, l2 = 5e-4, lr = 1e-3, batch 128, seed 42), ` +
      `trained in ${sec(trainMs)} s, test accuracy ${acc(testAcc0)}; at w*: λ_min = ${num(constants.lambdaMin)}, ` +
      `λ_max = ${num(constants.lambdaMax)}`,
  );
  console.log(
    `- Newton step: nonconvergence form, λ = ${LAMBDA}, LiSSA S = ${LISSA.chains}, s = ${LISSA.depth}, ` +
      `b = ${LISSA.batchSize}, H = ${H} (2 × damped minibatch λ_max at w*); certified: M = 1 (assumed), ρ = 0.1, ` +
      `constants re-measured at every start point (Lanczos 15 it. on 2,000 rows of D_r); ` +
      `per-release target (ε, δ) = (${TARGET.epsilon}, ${TARGET.delta}); validation = the 1,000 held-out digits`,
  );

  // One request sequence for every policy: disjoint random sets of record ids (seeded).
  const order = permutation(N, createRng('c/requests'));
  const requests = Array.from({ length: REQUESTS }, (_, k) =>
    Array.from(
      order.subarray(k * PER_REQUEST, (k + 1) * PER_REQUEST),
      (r) => data.ids[r] as string,
    ),
  );

  const settings: SequentialSettings = {
    newton: {
      form: 'nonconvergence',
      damping: LAMBDA,
      inverse: { kind: 'lissa', settings: { ...LISSA, scale: H } },
    },
    certification: { M: 1, rho: 0.1 },
    sigma: 1e-3,
    constantsSettings: { iterations: 15, hessianSampleSize: 2000 },
  };
  const policies: { name: string; policy: SequentialPolicy }[] = [
    {
      name: 'P1 certified, no accuracy floor, cumulative budget (ε, δ) = (2, 1e-4), retrain allowed',
      policy: {
        mode: 'certified',
        target: TARGET,
        cumulativeBudget: { epsilon: 2, delta: 1e-4 },
        retrainAllowed: true,
      },
    },
    {
      name: 'P2 certified, accuracy floor 0.8, retrain allowed',
      policy: {
        mode: 'certified',
        target: TARGET,
        cumulativeBudget: { epsilon: 10, delta: 1e-4 },
        accuracyFloor: 0.8,
        retrainAllowed: true,
      },
    },
    {
      name: 'P3 certified, accuracy floor 0.8, retraining not allowed',
      policy: {
        mode: 'certified',
        target: TARGET,
        cumulativeBudget: { epsilon: 10, delta: 1e-4 },
        accuracyFloor: 0.8,
        retrainAllowed: false,
      },
    },
    {
      name: 'P4 paper-experiment (σ = 1e-3, guarantee "none")',
      policy: { mode: 'paper-experiment', retrainAllowed: true },
    },
  ];

  for (const { name, policy } of policies) {
    let state: SequentialState = startSequentialChain(model, data.ids);
    const rows: (string | number)[][] = [];
    let totalMs = 0;
    for (let k = 0; k < REQUESTS; k++) {
      log(`${name.slice(0, 2)}: request ${k + 1}`);
      const forgetIds = requests[k] as string[];
      t0 = now();
      const step: SequentialStep = await processDeletionRequest(engine, {
        state,
        dataset: data,
        forgetIds,
        policy,
        settings,
        validation: test,
        seed: `c/${name.slice(0, 2)}`,
      });
      const ms = now() - t0;
      totalMs += ms;
      state = step.state;
      // The Newton candidate's guarantee (refused or released); a retrain's own is 'exact'.
      const g =
        step.refused?.guarantee ?? (step.guarantee?.type === 'exact' ? null : step.guarantee);
      const main = step.decision.reasons[0] ?? '';
      const released = step.release?.params;
      rows.push([
        k + 1,
        sec(ms),
        `**${step.decision.action}**`,
        shortReason(main),
        g ? num(g.sigma) : '—',
        g?.bound != null ? num(g.bound) : '—',
        step.guarantee
          ? `${step.guarantee.type}${step.guarantee.epsilon != null ? ` ε=${num(step.guarantee.epsilon)}` : ''}`
          : 'none released',
        num(step.cumulative.basic.epsilon),
        num(step.cumulative.gaussianDp.epsilon),
        num(step.cumulative.epsilon),
        step.validationAccuracy !== undefined ? acc(step.validationAccuracy) : '—',
        released ? acc(engine.evaluate(arch, released, test).accuracy) : '—',
        released ? acc(engine.evaluate(arch, released, selectIds(data, forgetIds)).accuracy) : '—',
        state.remainingIds.length,
      ]);
    }
    printTable(
      name,
      [
        'k',
        'time s',
        'action',
        'reason',
        'σ',
        'Δ',
        'release guarantee',
        'cum. ε basic',
        'cum. ε GDP',
        'cum. ε stated',
        'candidate acc (validation)',
        'released test acc',
        'released D_u acc',
        '|D_r| after',
      ],
      rows,
      `Total ${sec(totalMs)} s for ${REQUESTS} requests. σ and Δ are those of the Newton candidate ` +
        '(also when the policy refused it). Cumulative ε at δ = Σδ_k over the chain since the last ' +
        'retrain; "stated" = the smaller valid one (basic composition or Gaussian DP).',
    );
  }
}

run(main);
