import { supersededProgress } from './superseded-progress';

const msg = (offset: number, data: Record<string, unknown> | string | null) => ({
  offset: String(offset),
  value:
    data === null ? null : Buffer.from(typeof data === 'string' ? data : JSON.stringify({ data })),
});
const progress = (offset: number, jobId: string, seq: number) =>
  msg(offset, { jobId, kind: 'progress', seq });

describe('supersededProgress (results consumer)', () => {
  it('given a batch, when a job has later results, then its earlier progress is skipped', () => {
    const batch = [
      progress(1, 'job-a', 1),
      progress(2, 'job-b', 1),
      progress(3, 'job-a', 2),
      msg(4, { jobId: 'job-a', kind: 'succeeded' }),
      progress(5, 'job-b', 2),
    ];
    expect([...supersededProgress(batch)].sort()).toEqual(['1', '2', '3']);
  });

  it('never skips the last result of a job, a non-progress result, or what does not parse', () => {
    const batch = [
      msg(1, { jobId: 'job-a', kind: 'started' }),
      msg(2, '{not json'),
      msg(3, null),
      msg(4, { kind: 'progress' }),
      progress(5, 'job-a', 1),
    ];
    expect(supersededProgress(batch).size).toBe(0);
  });
});
