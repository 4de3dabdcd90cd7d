/**
 * A large group-commit round written by several transactions at once (ADR 0013, "parallel
 * writers"). The service thread prepares a transaction's statement (validation, the subject HMAC,
 * the ids, the decider, the statement's JSON) and then waits while PostgreSQL executes it; in
 * one transaction per round the two take turns. Split by partition, the round's first group is
 * prepared and its statement sent, and the next group is prepared while PostgreSQL executes the
 * first, so the two sides work at the same time. The round still succeeds or fails as a whole:
 * its offsets are committed only once every group's transaction has committed.
 */

/** What a round is made of: consecutive messages of one partition. */
export interface RoundChunk {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly unknown[];
}

/** How a round may be split. */
export interface WriterLimits {
  /** A group holds at least this many messages; a round of fewer than twice it is not split. */
  readonly minMessages: number;
  /** At most this many groups (transactions, so pool connections) per round. */
  readonly maxWriters: number;
}

/**
 * The round's chunks in writer groups. A partition's chunks stay together and in order, so the
 * messages of one partition are decided in their order, as in a single transaction (a repeated
 * idempotency key within a partition: the first one creates the request). A round of fewer than
 * `2 × minMessages` messages, or of one partition, is one group; otherwise partitions are
 * gathered in their order of appearance into groups of at least
 * `max(minMessages, total / maxWriters)` messages, the remainder joining the last group, so
 * there are at most `maxWriters` groups. Groups hold indexes into `chunks`.
 */
export function writerGroups(chunks: readonly RoundChunk[], limits: WriterLimits): number[][] {
  const total = chunks.reduce((n, c) => n + c.messages.length, 0);
  const all = chunks.map((_, i) => i);
  if (limits.maxWriters < 2 || chunks.length < 2 || total < 2 * limits.minMessages) return [all];
  const byPartition = new Map<string, number[]>();
  chunks.forEach((c, i) => {
    const key = `${c.topic}\u0000${c.partition}`;
    const list = byPartition.get(key) ?? [];
    list.push(i);
    byPartition.set(key, list);
  });
  const target = Math.max(limits.minMessages, Math.ceil(total / limits.maxWriters));
  const groups: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const indexes of byPartition.values()) {
    current.push(...indexes);
    size += indexes.reduce((n, i) => n + (chunks[i]?.messages.length ?? 0), 0);
    if (size >= target) {
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

/**
 * Writes one group. `sending` is called once the group's transaction is open, after the
 * validation and the decisions (the CPU-bound part) and just before the append statement is built
 * and issued; it may not be called at all (a group with nothing to append).
 */
export type GroupWrite<C, R> = (group: readonly C[], sending: () => void) => Promise<readonly R[]>;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes the round's chunks group by group (`writerGroups`), each group by one call of `write`
 * (one transaction), the groups' transactions in flight together; returns one result per chunk,
 * in the chunks' order.
 *
 * The next group starts once the previous one has called `sending` (or settled), and one more
 * turn of the event loop has passed, in which the previous group's statement goes out on its
 * connection: so the next group's preparation runs while PostgreSQL executes that statement.
 * If a group has failed by then, no further group starts.
 *
 * Failure: it waits for every started group to settle, then throws (the one error, or an
 * AggregateError naming them all), so nothing of the round is acknowledged while a transaction of
 * it may still be running. Groups that did commit are redelivered with the rest of the round and
 * absorbed as repeats of their idempotency keys, exactly as after a crash between a commit and
 * the offset commit.
 */
export async function writeInGroups<C extends RoundChunk, R>(
  chunks: readonly C[],
  limits: WriterLimits,
  write: GroupWrite<C, R>,
): Promise<R[]> {
  const groups = writerGroups(chunks, limits);
  if (groups.length === 1) return [...(await write(chunks, () => undefined))];
  // Settled as they start (a handler attached at once), so a group that fails while the next
  // is being prepared is not an unhandled rejection.
  const running: Promise<PromiseSettledResult<readonly R[]>>[] = [];
  let failed = false;
  for (const [g, indexes] of groups.entries()) {
    let sending!: () => void;
    const sent = new Promise<void>((resolve) => (sending = resolve));
    // Through an async function, so a `write` that throws synchronously is a rejection too and
    // every started group is still awaited below.
    const settled = (async () =>
      write(
        indexes.map((i) => chunks[i] as C),
        sending,
      ))().then(
      (value) => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => {
        failed = true;
        return { status: 'rejected', reason } as const;
      },
    );
    running.push(settled);
    if (g === groups.length - 1) break;
    await Promise.race([sent, settled]);
    await nextTurn();
    if (failed) break;
  }
  const outcomes = await Promise.all(running);
  const errors: unknown[] = outcomes.flatMap((o): unknown[] =>
    o.status === 'rejected' ? [o.reason] : [],
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `${errors.length} of the round's ${running.length} writer transactions failed: ` +
        errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '),
    );
  }
  const results: R[] = new Array<R>(chunks.length);
  for (const [g, outcome] of outcomes.entries()) {
    if (outcome.status === 'rejected') continue;
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
