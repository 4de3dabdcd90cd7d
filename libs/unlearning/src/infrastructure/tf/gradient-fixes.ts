import { tf, type Tensor } from './tf';

/**
 * Gradient re-registrations that make tfjs 4.22 fast and second-order correct (see
 * docs/method.md §9):
 *
 * - BatchMatMul: the stock gradient multiplies with the `transposeA/transposeB` flags, which the
 *   wasm backend runs about 12x slower than an explicit transpose. Same formulas, explicit
 *   `tf.transpose`. Stays double-differentiable.
 * - Exp / Sigmoid / Tanh: the stock gradients save the *output*; the engine records that saved
 *   clone before the kernel's own tape node, so a second derivative finds "no path" (or silently
 *   drops curvature). These versions save the *input* and recompute the output.
 *
 * Registration is global to the tfjs engine and idempotent (done once per process).
 */
let registered = false;

const swapLast = (t: Tensor): Tensor => {
  const r = t.rank;
  if (r === 2) return tf.transpose(t);
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
};

const mm = (a: Tensor, b: Tensor): Tensor => tf.matMul(a, b);

export const registerGradientFixes = (): void => {
  if (registered) return;
  registered = true;
  // tfjs warns once per overridden kernel; those warnings are expected here.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Overriding the gradient')) return;
    warn(...args);
  };
  try {
    tf.registerGradient({
      kernelName: 'BatchMatMul',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved as [Tensor, Tensor];
        const dyT = dy as Tensor;
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) {
          return { a: () => mm(dyT, swapLast(b)), b: () => mm(swapLast(a), dyT) };
        }
        if (!transposeA && transposeB) {
          return { a: () => mm(dyT, b), b: () => mm(swapLast(dyT), a) };
        }
        if (transposeA && !transposeB) {
          return { a: () => mm(b, swapLast(dyT)), b: () => mm(a, dyT) };
        }
        return { a: () => mm(swapLast(b), swapLast(dyT)), b: () => mm(swapLast(dyT), swapLast(a)) };
      },
    });
    tf.registerGradient({
      kernelName: 'Exp',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [Tensor];
        return { x: () => tf.mul(dy as Tensor, tf.exp(x)) };
      },
    });
    tf.registerGradient({
      kernelName: 'Sigmoid',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [Tensor];
        return {
          x: () => {
            const s = tf.sigmoid(x);
            return tf.mul(dy as Tensor, tf.mul(s, tf.sub(1, s)));
          },
        };
      },
    });
    tf.registerGradient({
      kernelName: 'Tanh',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [Tensor];
        return { x: () => tf.mul(dy as Tensor, tf.sub(1, tf.square(tf.tanh(x)))) };
      },
    });
  } finally {
    console.warn = warn;
  }
};
