/**
 * The HTTP client of bench/audit/export.bench.ts, in its own process (forked by the bench), so
 * that the service's Node CPU time and memory are measured without the client's. It answers one
 * message per task over the IPC channel: sequential keep-alive lookups of random certificate ids
 * (wall time per request), or one export read to the end (lines counted, bytes, wall time).
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';

export type ClientTask =
  | {
      kind: 'lookups';
      port: number;
      token: string;
      ids: readonly string[];
    }
  | { kind: 'export'; port: number; token: string; path: string; sha256?: boolean };

export type ClientResult =
  | { kind: 'lookups'; times: number[]; cpuMs: number }
  | {
      kind: 'export';
      status: number;
      bytes: number;
      lines: number;
      seconds: number;
      cpuMs: number;
      /** Hex SHA-256 of the content, when asked (to compare two trees' exports byte for byte). */
      sha256?: string;
    }
  | { kind: 'error'; message: string };

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(
  port: number,
  token: string,
  path: string,
  onData?: (chunk: Buffer) => void,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          onData?.(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

async function run(task: ClientTask): Promise<ClientResult> {
  if (task.kind === 'lookups') {
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (const id of task.ids) {
      const t0 = performance.now();
      const r = await get(task.port, task.token, `/v1/certificates/${id}`);
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`lookup of ${id} answered ${r.status}`);
    }
    return { kind: 'lookups', times, cpuMs: cpuMs(cpu0) };
  }
  let lines = 0;
  const digest = task.sha256 ? createHash('sha256') : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await get(task.port, task.token, task.path, (chunk) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    digest?.update(chunk);
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    kind: 'export',
    status: r.status,
    bytes: r.bytes,
    lines,
    seconds,
    cpuMs: cpuMs(cpu0),
    ...(digest ? { sha256: digest.digest('hex') } : {}),
  };
}

process.on('message', (task: ClientTask) => {
  run(task).then(
    (result) => process.send?.(result),
    (e: unknown) => process.send?.({ kind: 'error', message: String(e) } satisfies ClientResult),
  );
});
process.on('disconnect', () => {
  agent.destroy();
  process.exit(0);
});
