import { Query } from '@nestjs/cqrs';
import type { CheckpointView } from '../checkpoint.view';

export interface ConsistencyProofView {
  readonly from: number;
  readonly to: number;
  /** Hex RFC 9162 consistency proof. */
  readonly hashes: readonly string[];
  /** The signed checkpoints at both sizes (null for size 0, the empty tree). */
  readonly fromCheckpoint: CheckpointView | null;
  readonly toCheckpoint: CheckpointView;
}

/** The RFC 9162 consistency proof between tree sizes `from` ≤ `to` (both ≤ the latest size). */
export class GetConsistencyProofQuery extends Query<ConsistencyProofView> {
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    super();
  }
}
