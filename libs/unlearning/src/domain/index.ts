export * from './errors';
export * from './random';
export * from './privacy/normal';
export * from './privacy/gaussian-mechanism';
export * from './bound/certified-bound';
export * from './reference/linear-algebra';
export * from './reference/float64-mlp';
export * from './reference/logistic-regression';
