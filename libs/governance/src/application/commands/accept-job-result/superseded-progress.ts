/**
 * The `progress` results of a fetched batch that a later result of the same job in the same
 * batch supersedes: progress is advisory and only the latest is kept (ADR 0010), so the results
 * consumer skips these instead of spending a transaction and an offset commit on each. Without
 * this, a worker that reports often (LiSSA iterations) queues hundreds of progress results ahead
 * of its `succeeded`, and the request waits for all of them to be recorded one by one
 * (docs/benchmarks.md, the loop). Returns the offsets to skip; anything that does not parse as a
 * result is never skipped (the processor refuses it with its code).
 */
export const supersededProgress = (
  messages: readonly { readonly offset: string; readonly value: Buffer | null }[],
): Set<string> => {
  const jobOf = messages.map((m) => {
    try {
      const data = (JSON.parse(m.value?.toString('utf8') ?? 'null') as { data?: unknown } | null)
        ?.data as { jobId?: unknown; kind?: unknown } | undefined;
      return typeof data?.jobId === 'string' && typeof data.kind === 'string'
        ? { jobId: data.jobId, kind: data.kind }
        : null;
    } catch {
      return null;
    }
  });
  const skip = new Set<string>();
  const laterJobs = new Set<string>();
  for (let i = messages.length - 1; i >= 0; i--) {
    const j = jobOf[i];
    if (!j) continue;
    if (j.kind === 'progress' && laterJobs.has(j.jobId)) skip.add(messages[i]!.offset);
    laterJobs.add(j.jobId);
  }
  return skip;
};
