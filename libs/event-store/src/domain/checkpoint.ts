/**
 * A position in the safe global order `(transaction_id, global_position)`. Subscribers store the
 * checkpoint of the last event they handled and read strictly after it.
 */
export interface Checkpoint {
  readonly transactionId: bigint;
  readonly position: bigint;
}

export const START: Checkpoint = Object.freeze({ transactionId: 0n, position: 0n });

export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}

export const maxCheckpoint = (a: Checkpoint, b: Checkpoint): Checkpoint =>
  compareCheckpoints(a, b) >= 0 ? a : b;

export const sameCheckpoint = (a: Checkpoint, b: Checkpoint): boolean =>
  compareCheckpoints(a, b) === 0;

export const checkpointOf = (e: { transactionId: bigint; globalPosition: bigint }): Checkpoint => ({
  transactionId: e.transactionId,
  position: e.globalPosition,
});

/** For logs and JSON: bigint does not serialize. */
export const formatCheckpoint = (c: Checkpoint): string => `${c.transactionId}:${c.position}`;
