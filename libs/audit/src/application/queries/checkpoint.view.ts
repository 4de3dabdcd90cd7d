import type { CheckpointBody } from '../../domain/log/checkpoint';

/** A signed checkpoint as the API returns it: the JWS and its decoded body. */
export interface CheckpointView {
  readonly treeSize: number;
  /** Hex Merkle root. */
  readonly rootHash: string;
  readonly jws: string;
  readonly kid: string;
  readonly body: CheckpointBody;
}
