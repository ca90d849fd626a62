import { leaseSafetyMarginMs } from '@eventline/config/runtime';
import { isoNow, type UseCaseContext } from './context.ts';
import { digestPolicyOf, writeJoining } from './digest.ts';
import { SupersededError } from './errors.ts';
import type { FileState } from './ports.ts';

/**
 * The claim an invocation holds on a file, and its fencing. Every write of the file state is
 * conditional on the revision this invocation last wrote, so a writer whose claim was taken over
 * learns it at its next write. Record batches are not conditional: before each batch the lease is
 * checked (and renewed by a conditional write when half of it is gone), and no batch is sent or
 * retried past the lease minus a safety margin, so no record write of an expired claim can land
 * after another invocation could have taken the file over.
 */
export class Lease {
  constructor(
    private readonly ctx: UseCaseContext,
    public state: FileState,
  ) {}

  /** A margin for clock skew and a request's flight time: batches stop this long before the lease ends. */
  get marginMs(): number {
    return leaseSafetyMarginMs(this.ctx.leaseMs);
  }

  /**
   * Writes `next` if this invocation still holds the file (the stored revision is the one it last
   * wrote). Returns false when another invocation took it over.
   */
  async save(next: FileState): Promise<boolean> {
    let written: FileState = { ...next, rev: this.state.rev + 1, updatedAt: isoNow(this.ctx.clock) };
    // The write that makes the outcome terminal also counts it in its route's digest window, if any.
    const policy =
      this.state.status === 'PROCESSING' && next.status !== 'PROCESSING'
        ? digestPolicyOf(this.ctx.config.routes, next.route)
        : undefined;
    if (policy) {
      const joined = await writeJoining(this.ctx, written, this.state.rev, policy);
      if (!joined) return false;
      written = joined;
    } else if (!(await this.ctx.ledger.putFile(written, this.state.rev))) return false;
    this.state = written;
    return true;
  }

  /** Resolves with the time until which records may be written; throws SupersededError when the claim is gone. */
  async fence(): Promise<number> {
    const now = this.ctx.clock.now();
    if (this.state.leaseUntil - now > this.ctx.leaseMs / 2) return this.state.leaseUntil - this.marginMs;
    const renewed = await this.save({ ...this.state, leaseUntil: now + this.ctx.leaseMs });
    if (!renewed) {
      this.ctx.metrics.count('LeasesLost');
      throw new SupersededError(
        `${this.state.key}: this invocation's claim was taken over (its lease ran out); it stops before writing more`,
      );
    }
    this.ctx.metrics.count('LeasesRenewed');
    return this.state.leaseUntil - this.marginMs;
  }
}
