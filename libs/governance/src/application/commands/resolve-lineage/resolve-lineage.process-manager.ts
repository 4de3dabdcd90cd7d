import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@lethe/event-store';
import { ModelId, type DeletionRequestId } from '@lethe/shared';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import type {
  AffectedModel,
  DeletionRequested,
} from '../../../domain/deletion-request/deletion-request.events';
import { modelDecider } from '../../../domain/model/model.decider';
import { streams } from '../../../domain/shared/stream-names';
import { inGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { LineageStore, type TrainingMembership } from '../../ports/lineage-store.port';
import { inScope } from '../../../domain/deletion-request/scope';
import type { RecordsStore } from '../../ports/records-store.port';
import { metadataFor } from '../../metadata';
import type { Clock } from '../../ports/clock.port';

export const LINEAGE_RESOLVER = 'governance.lineage-resolver';

/**
 * Process manager: for each DeletionRequested, find the subject's records in scope, the models
 * whose current version was trained on them, and record the outcome — NoRecordsFound (terminal)
 * or LineageResolved + a DeletionQueued on every affected model's stream, where the scheduler
 * picks it up. Runs as a checkpointed subscription: the appends and the checkpoint share one
 * transaction, so each request is resolved exactly once even across crashes.
 */
export const resolveLineageProcessManager = (
  records: RecordsStore,
  lineage: LineageStore,
  clock: Clock,
): Projection<DeletionRequested> => ({
  name: LINEAGE_RESOLVER,
  eventTypes: ['DeletionRequested'],
  async handle(events, manager) {
    await resolveBatch(events, manager, records, lineage, clock);
  },
});

async function resolveBatch(
  events: readonly RecordedEvent<DeletionRequested>[],
  manager: EntityManager,
  records: RecordsStore,
  lineage: LineageStore,
  clock: Clock,
): Promise<void> {
  const subjectRecords = await records.ofSubjects(
    manager,
    events.map((e) => e.data.subjectRef),
  );
  const inScopeOf = new Map(
    events.map((e) => [
      e.data.requestId,
      subjectRecords.filter((r) => r.subjectRef === e.data.subjectRef && inScope(e.data.scope, r)),
    ]),
  );
  const memberships = await lineage.modelsTrainedOn(manager, [...inScopeOf.values()].flat());
  const key = (r: { datasetId: string; recordId: string }) => `${r.datasetId}\u0000${r.recordId}`;
  const byRecord = new Map<string, TrainingMembership[]>();
  for (const m of memberships) byRecord.set(key(m), [...(byRecord.get(key(m)) ?? []), m]);

  const now = clock.now().toISOString();
  const affectedOf = (event: RecordedEvent<DeletionRequested>) => {
    const scoped = inScopeOf.get(event.data.requestId) ?? [];
    const hits = scoped.flatMap((r) => byRecord.get(key(r)) ?? []);
    const perModel = new Map<string, { version: number; count: number }>();
    for (const h of hits) {
      const cur = perModel.get(h.modelId) ?? { version: h.version, count: 0 };
      perModel.set(h.modelId, { version: cur.version, count: cur.count + 1 });
    }
    const affectedModels: AffectedModel[] = [...perModel.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([modelId, v]) => ({
        modelId: ModelId(modelId),
        version: v.version,
        recordCount: v.count,
      }));
    return { scoped, hits, affectedModels };
  };

  const base = metadataFor(clock, 'lineage', 'system:lineage-resolver');
  // Bulk: every stream's events go in with one appendToStreams at flush(); the request streams'
  // states come from the batch itself (a stream at version 1 is exactly its DeletionRequested),
  // with one query for their versions instead of one read per request.
  await inGovernanceTransaction(
    manager,
    base,
    async (tx) => {
      await tx.preload(
        events.map((e) => streams.deletionRequest(e.data.requestId)),
        deletionRequestDecider,
        new Map(events.map((e) => [e.streamId, [e]])),
      );
      const lineageRows: { requestId: DeletionRequestId; hits: TrainingMembership[] }[] = [];
      for (const event of events) {
        const { requestId, subjectRef } = event.data;
        const { scoped, hits, affectedModels } = affectedOf(event);
        const meta = metadataFor(
          clock,
          event.metadata.correlationId,
          'system:lineage-resolver',
          event.eventId,
        );
        const { events: decided } = await tx.decide(
          streams.deletionRequest(requestId),
          deletionRequestDecider,
          {
            type: 'ResolveLineage',
            data: { requestId, affectedModels, recordCount: scoped.length, now },
          },
          meta,
        );
        if (!decided.some((d) => d.type === 'LineageResolved')) continue;
        lineageRows.push({ requestId, hits });
        for (const m of affectedModels) {
          await tx.decide(
            streams.model(m.modelId),
            modelDecider,
            { type: 'QueueDeletion', data: { modelId: m.modelId, requestId, subjectRef, now } },
            meta,
          );
        }
      }
      // Appends first (stream locks before this transaction takes its id), then other writes.
      await tx.flush();
      for (const r of lineageRows) await lineage.recordRequestRecords(manager, r.requestId, r.hits);
    },
    { bulk: true },
  );
}
