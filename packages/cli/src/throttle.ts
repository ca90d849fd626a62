/**
 * A steady pace for bulk sends: `take(n)` waits until `n` more events fit under `perSecond`,
 * measured from the start. Clock and sleep are injectable so the pacing is tested without timing.
 */
export class Throttle {
  private sent = 0;
  private readonly start: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.start = clock();
  }

  /** Waits until `n` more fit, then counts them. Returns how long it waited (ms). */
  async take(n: number): Promise<number> {
    // The first `n` go at once; after that, event number k may leave at start + k / rate.
    const due = this.start + (this.sent * 1000) / this.perSecond;
    const wait = Math.max(0, due - this.clock());
    if (wait > 0) await this.sleep(wait);
    this.sent += n;
    return wait;
  }
}

/** Progress lines on stderr at most every `everyMs` (and always the last), for long operations. */
export class Progress {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly print: (line: string) => void,
    private readonly everyMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  tick(line: () => string, force = false): void {
    const now = this.clock();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    this.print(line());
  }
}
