import { WakeableLoop } from './wakeable-loop';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WakeableLoop', () => {
  it('runs turns back to back while they return 0, and pauses when they return a delay', async () => {
    const turns: number[] = [];
    const loop = new WakeableLoop(() => {
      turns.push(turns.length);
      return Promise.resolve(turns.length < 3 ? 0 : 60_000);
    });
    loop.start();
    for (let i = 0; i < 10; i++) await tick();
    expect(turns).toEqual([0, 1, 2]); // the third asked for a long pause
    loop.wake(); // cuts it short
    for (let i = 0; i < 10; i++) await tick();
    expect(turns).toEqual([0, 1, 2, 3]);
    await loop.stop();
    expect(loop.running).toBe(false);
  });

  it('stop() lets the turn in flight finish and ends a pause at once', async () => {
    let release!: () => void;
    let finished = false;
    const loop = new WakeableLoop(async () => {
      await new Promise<void>((r) => (release = r));
      finished = true;
      return 60_000;
    });
    loop.start();
    await tick();
    const stopping = loop.stop();
    expect(loop.isStopping).toBe(true);
    release();
    await stopping; // does not wait 60 s
    expect(finished).toBe(true);
  });

  it('a turn that throws ends the loop and stop() rethrows it', async () => {
    const loop = new WakeableLoop(() => Promise.reject(new Error('boom')));
    loop.start();
    await expect(loop.stop()).rejects.toThrow('boom');
    expect(loop.running).toBe(false);
  });
});
