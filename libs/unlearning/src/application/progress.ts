/** Progress of a long call (training, LiSSA, retraining, constants). */
export interface Progress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  /** Optional numbers worth showing (loss, norm, epoch…). */
  readonly detail?: Readonly<Record<string, number>>;
}
export type ProgressCallback = (p: Progress) => void;

/** Lets the event loop run (Kafka heartbeats, HTTP) during long synchronous tensor work. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));
