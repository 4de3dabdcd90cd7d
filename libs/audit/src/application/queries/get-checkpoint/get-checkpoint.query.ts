import { Query } from '@nestjs/cqrs';
import type { CheckpointView } from '../checkpoint.view';

/** The latest signed checkpoint (tree size, root); NO_CHECKPOINT while the log is empty. */
export class GetCheckpointQuery extends Query<CheckpointView> {}
