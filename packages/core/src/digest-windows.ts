/**
 * A container's cache of each digest route's open window and of the closes it has sent (digest.ts
 * writes and closes windows; the ledger decides). Kept apart so the use-case context can hold it.
 */
import { type WindowRef, windowId } from './digest-close.ts';

export interface DigestPolicy {
  everySeconds: number;
  maxFiles: number;
  failuresImmediately: boolean;
}

/**
 * This container's view of each digest route's open window and of the closes it has already sent:
 * a cache only (the ledger decides), so a fresh container starts from the clock's time slot, part 0.
 */
export class DigestWindows {
  private readonly open = new Map<string, WindowRef>();
  private readonly scheduled = new Set<string>();

  /** The window an outcome at `now` joins: this container's open one for the slot, or part 0. */
  current(route: string, policy: DigestPolicy, now: number): WindowRef {
    const slot = policy.everySeconds * 1000;
    const start = Math.floor(now / slot) * slot;
    const known = this.open.get(route);
    if (known && known.start === start) return known;
    const ref = { route, start, part: 0 };
    this.open.set(route, ref);
    return ref;
  }

  /**
   * The ledger refused `ref` (closed, or full): the next outcome tries `step` parts further (the
   * caller doubles it at each refusal, so a fresh cache finds a slot's open part in a few tries
   * however many have filled). A part skipped is never joined or closed: it holds nothing.
   */
  advance(ref: WindowRef, step = 1): void {
    const known = this.open.get(ref.route);
    if (!known || (known.start === ref.start && known.part <= ref.part)) {
      this.open.set(ref.route, { ...ref, part: ref.part + step });
    }
  }

  /** Whether this container has sent the close of `ref` (the close is idempotent: sending it again is safe). */
  isScheduled(ref: WindowRef): boolean {
    return this.scheduled.has(windowId(ref));
  }

  markScheduled(ref: WindowRef): void {
    if (this.scheduled.size > 10_000) this.scheduled.clear();
    this.scheduled.add(windowId(ref));
  }
}
