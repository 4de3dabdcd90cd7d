/**
 * A large group-commit round written by several transactions at once (ADR 0013, "parallel
 * writers"). The service thread prepares a transaction's statement (validation, the subject HMAC,
 * the ids, the decider, the statement's JSON) and then waits while PostgreSQL executes it; in
 * one transaction per round the two take turns. Split by partition, the round's first group is
 * prepared and sent, and the next group is prepared while PostgreSQL executes the first, so the
 * two sides work at the same time. The round still succeeds or fails as a whole: its offsets are
 * committed only once every group's transaction has committed (see `writeInGroups`).
 */

/** What a round is made of: consecutive messages of one partition. */
export interface RoundChunk {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly unknown[];
}

/**
 * The round's chunks in writer groups. A partition's chunks stay together and in order, so the
 * messages of one partition are decided in their order, as in a single transaction (a repeated
 * idempotency key within a partition: the first one creates the request). A round of fewer than
 * `2 × minMessages` messages is one group; otherwise partitions are gathered in their order of
 * appearance into groups of at least `minMessages`, the remainder joining the last group. Groups
 * hold indexes into `chunks`.
 */
export function writerGroups(chunks: readonly RoundChunk[], minMessages: number): number[][] {
  const total = chunks.reduce((n, c) => n + c.messages.length, 0);
  const all = chunks.map((_, i) => i);
  if (chunks.length < 2 || total < 2 * minMessages) return [all];
  const byPartition = new Map<string, number[]>();
  chunks.forEach((c, i) => {
    const key = `${c.topic}\u0000${c.partition}`;
    const list = byPartition.get(key) ?? [];
    list.push(i);
    byPartition.set(key, list);
  });
  const groups: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const indexes of byPartition.values()) {
    current.push(...indexes);
    size += indexes.reduce((n, i) => n + (chunks[i]?.messages.length ?? 0), 0);
    if (size >= minMessages) {
      groups.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) {
    const last = groups.at(-1);
    if (last) last.push(...current);
    else groups.push(current);
  }
  return groups;
}

/** Turns of the event loop given to a started group before the next group is prepared. */
const TURNS_BETWEEN_GROUPS = 3;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes the round's chunks group by group (`writerGroups`), each group by one call of `write`
 * (one transaction), the groups' transactions in flight together; returns one result per chunk,
 * in the chunks' order.
 *
 * After starting a group it gives the event loop a few turns, so that the group's BEGIN and
 * statement reach PostgreSQL before the next group's CPU-bound preparation holds the thread.
 * That is a scheduling hint only: nothing depends on it for correctness.
 *
 * Failure: it waits for every group to settle, then throws the first group's error, so nothing
 * of the round is acknowledged while a transaction of it may still be running. Groups that did
 * commit are redelivered with the rest of the round and absorbed as repeats of their
 * idempotency keys, exactly as after a crash between a commit and the offset commit.
 */
export async function writeInGroups<C extends RoundChunk, R>(
  chunks: readonly C[],
  minMessages: number,
  write: (group: readonly C[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const groups = writerGroups(chunks, minMessages);
  if (groups.length === 1) return [...(await write(chunks))];
  // Settled as they start (a handler attached at once), so a group that fails while the next
  // is being prepared is not an unhandled rejection.
  const running: Promise<PromiseSettledResult<readonly R[]>>[] = [];
  for (const [g, indexes] of groups.entries()) {
    running.push(
      write(indexes.map((i) => chunks[i] as C)).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      ),
    );
    if (g < groups.length - 1) for (let t = 0; t < TURNS_BETWEEN_GROUPS; t++) await nextTurn();
  }
  const settled = await Promise.all(running);
  const results: R[] = new Array<R>(chunks.length);
  for (const [g, outcome] of settled.entries()) {
    if (outcome.status === 'rejected') throw outcome.reason;
    const indexes = groups[g] ?? [];
    if (outcome.value.length !== indexes.length) {
      throw new Error(
        `round writers: group ${g} returned ${outcome.value.length} result(s) for ${indexes.length} chunk(s)`,
      );
    }
    indexes.forEach((chunk, k) => {
      results[chunk] = outcome.value[k] as R;
    });
  }
  return results;
}
