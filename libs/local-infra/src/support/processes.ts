import { spawn, type ChildProcess } from 'node:child_process';

/** True while a process with this pid exists (zombies included). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const WATCHDOG = `
parent=$1; child=$2; sig=$3
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$child" 2>/dev/null || exit 0
  sleep 1
done
kill -s "$sig" "$child" 2>/dev/null || exit 0
i=0
while kill -0 "$child" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.5; i=$((i+1)); done
kill -s KILL "$child" 2>/dev/null
exit 0
`;

/**
 * Starts a tiny detached shell that kills `childPid` (signal, then SIGKILL after 15 s) as soon as
 * this Node process is gone, whatever way it died (SIGKILL included), so no server outlives us.
 * It exits by itself when the child exits first.
 */
export function startWatchdog(childPid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  const watchdog = spawn(
    'sh',
    [
      '-c',
      WATCHDOG,
      'lethe-watchdog',
      String(process.pid),
      String(childPid),
      signal.replace(/^SIG/, ''),
    ],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  watchdog.unref();
}

/** Resolves when the child has exited (at once if it already has). */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Polls until the pid is gone. */
export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
