/** The one decider type lives in @lethe/shared (so the event store's write path runs it too). */
export { fold, type Decider } from '@lethe/shared';

/** A domain event as the deciders see it: a type tag and a payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** Exhaustiveness guard for switches over discriminated unions. */
export const assertNever = (value: never): never => {
  throw new Error(`unexpected variant: ${JSON.stringify(value)}`);
};
