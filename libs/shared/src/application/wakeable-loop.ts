/**
 * A background loop: runs `turn` again and again until stopped. Each turn returns how long to
 * pause before the next one (0: go on at once); `wake()` cuts the current pause short (a NOTIFY,
 * new work); `stop()` lets the turn in flight finish, then resolves. A turn should handle its own
 * errors (and return a backoff): one that throws ends the loop, and `stop()` rethrows it.
 */
export class WakeableLoop {
  private done: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly turn: () => Promise<number>) {}

  get running(): boolean {
    return this.done !== undefined;
  }

  /** True from `stop()` until the loop has ended. */
  get isStopping(): boolean {
    return this.stopping;
  }

  start(): void {
    if (this.done) return;
    this.stopping = false;
    this.done = this.run();
    this.done.catch(() => undefined); // surfaced by stop(), not as an unhandled rejection
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    try {
      await this.done;
    } finally {
      this.done = undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const delay = await this.turn();
      if (delay > 0 && !this.stopping) await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
