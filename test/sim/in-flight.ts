/**
 * The slower tier's calls to the emulators in flight (real-dynamo.ts, real-s3.ts): the world waits
 * for every one of them, and for what its answer wakes, before the scheduler releases another call,
 * so the order of calls stays the scheduler's. With the fakes nothing is ever in flight and
 * `settle` is a bare turn of the event loop, the fast tier's schedules unchanged.
 */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly emulated: boolean) {}

  track<T>(call: Promise<T>): Promise<T> {
    this.pending.add(call);
    const done = () => this.pending.delete(call);
    call.then(done, done);
    return call;
  }

  /** Lets the code run until every invocation waits for the scheduler. */
  settle(): Promise<void> {
    if (!this.emulated) return flush();
    return flush().then(async () => {
      for (let i = 0; this.pending.size > 0 && i < 10_000; i++) {
        await Promise.allSettled([...this.pending]);
        await flush();
      }
    });
  }
}
