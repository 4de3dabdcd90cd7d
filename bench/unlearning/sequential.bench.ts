/**
 * (c) Sequential deletion requests on one model: 10 requests of 100 records on the MNIST MLP
 * (784-32-32-10 with tanh: certified mode refuses ReLU, which has no finite M).
 *   npm run bench:unlearning:sequential        (LETHE_BENCH_QUICK=1 for a ~1–2 minute check)
 *
 * The same request sequence (disjoint random D_u's, seeded) is served by processDeletionRequest
 * under four per-model policies; per request: wall time, the action the policy chose (newton /
 * retrain / needs-retrain) and the public reason codes, σ and the certified bound Δ (settings
 * only), the cumulative ε (basic composition and the tighter Gaussian-DP accountant), accuracy of
 * what was released. The candidate's accuracy and the private reasons are printed from the
 * step's PRIVATE part (a bench may; a certificate never does).
 */
import {
  createRng,
  createTfjsEngine,
  lanczosMargin,
  mlp,
  parameterCount,
  permutation,
  processDeletionRequest,
  selectIds,
  startSequentialChain,
  trainModel,
  type CertifiedPolicy,
  type SequentialPolicy,
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

/*
 * Sizes shrunk on 2026-11-29 (the shared 2-core machine ran at load ≈ 20): 4,000 digits, 5 epochs,
 * 5 requests of 100 records; docs/benchmarks.md says so.
 */
const N = quick ? 2000 : 4000;
const EPOCHS = quick ? 3 : 5;
const REQUESTS = quick ? 3 : 5;
const PER_REQUEST = quick ? 50 : 100;
const LAMBDA = 5;
const LANCZOS = 30;
const LISSA = { chains: 1, depth: quick ? 100 : 200, batchSize: 50 };
const TARGET = { epsilon: 1, delta: 1e-5 };
const arch = mlp([784, 32, 32, 10], 'tanh');

/** Short form of a policy reason for a table cell. */
function shortReason(reason: string): string {
  const floor = /drops accuracy to ([\d.]+), below the floor ([\d.]+)/.exec(reason);
  if (floor) return `accuracy ${num(Number(floor[1]))} < floor ${floor[2]}`;
  const budget =
    /after this release \(epsilon, delta\) = \(([^,]+), ([^)]+)\) > budget \(([^,]+), ([^)]+)\)/.exec(
      reason,
    );
  if (budget) return `cumulative ε ${num(Number(budget[1]))} > budget ${budget[3]}`;
  const failed = /private certification check failed: ([a-z-, ]+)/.exec(reason);
  if (failed) return `check failed: ${failed[1]}`;
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
    `(c) ${REQUESTS} sequential requests of ${PER_REQUEST} records — MNIST MLP 784-32-32-10 (tanh)`,
    'npm run bench:unlearning:sequential',
  );
  const { train: real, test } = mnistSplit();
  const data = trainingSet(real, N);
  log('training the original model');
  let t0 = now();
  const model = await trainModel(engine, { arch, data, recipe: recipe(EPOCHS) });
  const trainMs = now() - t0;
  // Calibration, once, before any request: the operator's assumptions (λ_min floor, G) are set
  // from a measurement at w* with a safety allowance. In production they come from data that is
  // never subject to deletion; here the bench states that it used w*.
  const constants = await engine.measureConstants({
    arch,
    params: model.params,
    retain: data,
    l2: 5e-4,
    damping: LAMBDA,
    settings: {
      seed: 'c/constants',
      iterations: LANCZOS,
      hessianSampleSize: 1000,
      minibatchSamples: 5,
      batchSize: 50,
    },
  });
  const H = Math.ceil(constants.suggestedScale);
  const rho = TARGET.delta / 10;
  const margin = lanczosMargin({
    iterations: LANCZOS,
    dimension: parameterCount(arch),
    failureProbability: rho,
  });
  const spread = constants.lambdaMax - constants.lambdaMin;
  const assumedLambdaMin = Math.floor(constants.lambdaMin - 2 * margin.factor * spread - 0.5);
  const assumedG =
    Math.ceil(4 * Math.max(constants.gradientNorm, model.profile.finalGradNorm) * 100) / 100;
  const tau = 2;
  const testAcc0 = engine.evaluate(arch, model.params, test).accuracy;
  console.log(
    `- model: n = ${N} real digits, ${EPOCHS} epochs (C = 20, l2 = 5e-4, lr = 1e-3, batch 128, seed 42), ` +
      `trained in ${sec(trainMs)} s, test accuracy ${acc(testAcc0)}; calibration at w* (Lanczos ${LANCZOS} it. on 1,000 rows): ` +
      `θ_min = ${num(constants.lambdaMin)}, θ_max = ${num(constants.lambdaMax)}, K–W margin factor ${num(margin.factor)} ` +
      `(ρ = ${num(rho)})`,
  );
  console.log(
    `- Newton step: nonconvergence form, λ = ${LAMBDA}, LiSSA S = ${LISSA.chains}, s = ${LISSA.depth}, ` +
      `b = ${LISSA.batchSize}, H = ${H} (2 × damped minibatch λ_max at w*); certified assumptions: M = 1, ` +
      `λ_min = ${assumedLambdaMin}, G = ${assumedG}, solver tolerance τ = ${tau} (residual certificate), ` +
      `checked privately at every start point (Lanczos ${LANCZOS} it. on 1,000 rows of D_r); ` +
      `per-release target (ε, δ) = (${TARGET.epsilon}, ${TARGET.delta}) with δ = ${num(TARGET.delta - rho)} (mechanism) + ${num(rho)} (spectrum ρ); ` +
      'validation = the 1,000 held-out digits',
  );

  // One request sequence for every policy: disjoint random sets of record ids (seeded).
  const order = permutation(N, createRng('c/requests'));
  const requests = Array.from({ length: REQUESTS }, (_, k) =>
    Array.from(
      order.subarray(k * PER_REQUEST, (k + 1) * PER_REQUEST),
      (r) => data.ids[r] as string,
    ),
  );

  const newton = {
    form: 'nonconvergence',
    damping: LAMBDA,
    inverse: { kind: 'lissa', settings: { ...LISSA, scale: H } },
  } as const;
  const certified: CertifiedPolicy = {
    mode: 'certified',
    newton,
    certification: { M: 1, lambdaMin: assumedLambdaMin, G: assumedG, solverTolerance: tau },
    constantsSettings: { iterations: LANCZOS, hessianSampleSize: 1000 },
    target: TARGET,
    cumulativeBudget: { epsilon: 10, delta: 1e-4 },
    retrainAllowed: true,
  };
  const policies: { name: string; policy: SequentialPolicy }[] = [
    {
      name: 'P1 certified, no accuracy floor, cumulative budget (ε, δ) = (2, 1e-4), retrain allowed',
      policy: { ...certified, cumulativeBudget: { epsilon: 2, delta: 1e-4 } },
    },
    {
      name: 'P2 certified, accuracy floor 0.8, retrain allowed',
      policy: { ...certified, accuracyFloor: 0.8 },
    },
    {
      name: 'P3 certified, accuracy floor 0.8, retraining not allowed',
      policy: { ...certified, accuracyFloor: 0.8, retrainAllowed: false },
    },
    {
      name: 'P4 paper-experiment (σ = 1e-3, guarantee "none"; poisons the ledger)',
      policy: { mode: 'paper-experiment', newton, sigma: 1e-3 },
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
        validation: test,
        seed: `c/${name.slice(0, 2)}`,
      });
      const ms = now() - t0;
      totalMs += ms;
      const pub = step.public;
      const priv = step.private;
      state = priv.state;
      const g = pub.release?.guarantee;
      // σ and Δ of a certified policy are settings-only: the same for every candidate.
      const calibrated = policy.mode === 'certified' ? (g?.type === 'certified' ? g : null) : g;
      const released = pub.release?.released.params;
      rows.push([
        k + 1,
        sec(ms),
        `**${pub.action}**`,
        pub.reasons.join(', '),
        shortReason(priv.decision.reasons[0] ?? ''),
        calibrated ? num(calibrated.sigma) : '—',
        calibrated?.bound != null ? num(calibrated.bound) : '—',
        g ? `${g.type}${g.epsilon != null ? ` ε=${num(g.epsilon)}` : ''}` : 'none released',
        num(pub.cumulative.basic.epsilon),
        num(pub.cumulative.gaussianDp.epsilon),
        num(pub.cumulative.epsilon),
        num(pub.cumulative.delta),
        priv.validationAccuracy !== undefined ? acc(priv.validationAccuracy) : '—',
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
        'public reasons',
        'private reason (never published)',
        'σ',
        'Δ',
        'release guarantee',
        'cum. ε basic',
        'cum. ε GDP',
        'cum. ε stated',
        'cum. δ',
        'candidate acc (private)',
        'released test acc',
        'released D_u acc',
        '|D_r| after',
      ],
      rows,
      `Total ${sec(totalMs)} s for ${REQUESTS} requests. σ and Δ of a certified release depend on the ` +
        'settings only. Cumulative ε at δ = Σδ_k (each δ_k includes the spectrum ρ) over the chain ' +
        'since the last retrain; "stated" = the smaller valid one (basic or Gaussian DP); ∞ once an ' +
        'uncertified release poisoned the ledger.',
    );
  }
}

run(main);
