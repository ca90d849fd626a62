/**
 * Digests: one notification per window of a route's outcomes instead of one per file. A window is an
 * item in the ledger (counts by status, the first failures), joined by a file's outcome in the same
 * conditional write that records the outcome (so no crash can lose or double count a file), and
 * closed by one delayed message on the ingest queue that publishes its summary once, with the
 * window's own idempotency key (docs/protocol.md, I13; docs/design.md, "Digests").
 */
import { createHash } from 'node:crypto';
import { isoNow, type UseCaseContext } from './context.ts';
import { type WindowRef, windowId } from './digest-close.ts';
import type { DigestPolicy } from './digest-windows.ts';
import { describeError, InProgressError } from './errors.ts';
import { clip } from './outcome.ts';
import type { DigestEntry, DigestWindow, FileState, Notification } from './ports.ts';

type NotifyPolicy = 'each' | 'failures' | 'none' | { digest: DigestPolicy };

/** The digest policy of a route, or undefined when the route notifies file by file (or not at all). */
export function digestPolicyOf(
  routes: ReadonlyArray<{ id: string; notify?: NotifyPolicy }>,
  routeId: string,
): DigestPolicy | undefined {
  const notify = routes.find((route) => route.id === routeId)?.notify;
  return typeof notify === 'object' ? notify.digest : undefined;
}

/** The first failures a digest lists (their keys and reasons); the counts cover every file. */
export const MAX_DIGEST_FAILURES = 5;

/** The same for every publish of one window: a subscriber drops a repeated key. */
export function digestKey(ref: WindowRef): string {
  return createHash('sha256')
    .update(JSON.stringify(['digest', ref.route, ref.start, ref.part]))
    .digest('hex');
}

/** What a file's terminal outcome adds to its window. */
export function digestEntryOf(state: FileState): DigestEntry {
  const entry: DigestEntry = {
    status: state.status === 'FAILED' ? 'FAILED' : 'PROCESSED',
    written: state.counts.written,
    rejected: state.counts.rejected,
  };
  if (state.status === 'FAILED') {
    entry.failure = {
      key: clip(state.key, 256),
      code: clip(state.error?.code ?? 'unknown', 64),
      reason: clip(state.error?.message ?? 'unknown', 200),
    };
  }
  return entry;
}

/** The summary of a closed window. */
export function digestNotification(window: DigestWindow): Notification {
  const key = digestKey(window);
  const from = new Date(window.start).toISOString();
  const to = window.closedAt ?? new Date(window.endsAt).toISOString();
  const lines = [
    `Digest for route ${window.route}: ${window.files} files (${window.processed} processed, ${window.failed} failed), ${window.written} records written${window.rejected ? `, ${window.rejected} rejected` : ''}`,
    `Window: ${from} to ${to}`,
    ...window.failures.map((f) => `Failed: ${f.key}: ${f.reason}`),
  ];
  if (window.failed > window.failures.length) {
    lines.push(`…and ${window.failed - window.failures.length} more failures (see the ledger)`);
  }
  return {
    subject: window.failed > 0 ? 'S3 Events Digest (with failures)' : 'S3 Events Digest',
    text: lines.join('\n'),
    json: {
      idempotencyKey: key,
      message: lines[0],
      status: 'DIGEST',
      route: window.route,
      window: { id: windowId(window), start: from, end: to, part: window.part },
      files: { total: window.files, processed: window.processed, failed: window.failed },
      records: { written: window.written, rejected: window.rejected },
      failures: window.failures,
    },
    attributes: {
      status: { type: 'String', value: 'DIGEST' },
      route: { type: 'String', value: window.route },
      files: { type: 'Number', value: String(window.files) },
      failed: { type: 'Number', value: String(window.failed) },
      idempotencyKey: { type: 'String', value: key },
    },
  };
}

/**
 * Writes a file's terminal outcome and its window membership in one conditional write. Before the
 * write, the window's close is scheduled (once per container and window): a crash after the write
 * can no longer leave a counted file in a window nobody closes. A window closed or full moves the
 * outcome to a later part (1, 2, 4, … parts on), whose close is scheduled in turn. Returns false
 * when another writer holds the file (the outcome was not written, so it counts nowhere).
 */
export async function writeJoining(
  ctx: UseCaseContext,
  state: FileState,
  expectedRev: number,
  policy: DigestPolicy,
): Promise<FileState | false> {
  const { digests, ledger } = ctx;
  if (!ledger.putFileJoining) throw new Error('this ledger keeps no digest windows');
  if (!digests) {
    throw new Error(
      `route "${state.route}" has a digest policy but the pipeline was given no digest scheduler (the ingest queue)`,
    );
  }
  const entry = digestEntryOf(state);
  // Parts tried 1, 2, 4, … ahead of a refused one: a fresh container's cache starts at part 0, and a
  // slot with small `maxFiles` may have filled many more parts than a walk one by one could try.
  let step = 1;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const now = ctx.clock.now();
    const window = digests.windows.current(state.route, policy, now);
    const endsAt = window.start + policy.everySeconds * 1000;
    if (!digests.windows.isScheduled(window)) {
      // Due before the close is sent, and both before the join: a window that counts a file is
      // findable by the sweep (reconcile) even when every letter of its close is lost.
      await ledger.markWindowDue?.(window, endsAt);
      await digests.scheduler.schedule(window, Math.max(0, Math.min(900, Math.ceil((endsAt - now) / 1000))));
      digests.windows.markScheduled(window);
    }
    const written: FileState = { ...state, digest: windowId(window) };
    const result = await ledger.putFileJoining(written, expectedRev, {
      window,
      endsAt,
      maxFiles: policy.maxFiles,
      entry,
    });
    if (result === 'written') {
      ctx.metrics.count('DigestEntries');
      return written;
    }
    if (result === 'stale') return false;
    // Closed (its time came) or full: a full window is closed now rather than at its time.
    if (result === 'full') await digests.scheduler.schedule(window, 0);
    digests.windows.advance(window, step);
    step *= 2;
  }
  throw new Error(`${state.key}: no open digest window for route "${state.route}" after 20 attempts`);
}

/**
 * Closes a window (a close message arrived): marks it closed, so no outcome joins it after, and
 * takes the right to publish it (one close at a time: the timed close and a full window's early
 * one, or a redelivered one, may run together), then publishes its summary and marks it sent. A
 * close of a window already sent is a no-op; one held by another close is retried by SQS; one whose
 * holder crashed before marking it sent publishes again with the same key once the hold runs out; a
 * close whose Publish failed gives its hold back, so its own redelivery publishes.
 */
export async function closeDigest(
  ctx: UseCaseContext,
  ref: WindowRef,
): Promise<{ status: 'sent' | 'empty' | 'already-sent'; window: DigestWindow }> {
  const { ledger } = ctx;
  if (!ledger.closeWindow || !ledger.markWindowSent) throw new Error('this ledger keeps no digest windows');
  const now = ctx.clock.now();
  const until = now + ctx.leaseMs;
  const { state, window } = await ledger.closeWindow(ref, isoNow(ctx.clock), now, until);
  if (state === 'sent') {
    // A close that crashed after marking the window sent left its due item in the index.
    await ledger.clearWindowDue?.(ref, window.sentAt ?? isoNow(ctx.clock));
    return { status: 'already-sent', window };
  }
  if (state === 'busy') {
    // Held, as a file under another's lease is: the local event source holds this close's last
    // delivery back until the hold ends rather than dead-letter it (the window then never sent).
    throw new InProgressError(
      'digest-busy',
      `digest ${windowId(ref)}: another close is publishing it; this one is retried`,
      window.publishing === undefined ? {} : { heldUntil: window.publishing },
    );
  }
  if (window.files === 0) {
    await ledger.markWindowSent(ref, '', isoNow(ctx.clock));
    await ledger.clearWindowDue?.(ref, isoNow(ctx.clock));
    return { status: 'empty', window };
  }
  let messageId: string;
  try {
    ({ messageId } = await ctx.notifier.publish(digestNotification(window)));
  } catch (error) {
    // The Publish failed: give the hold back, or this close's own next delivery (the local stack's
    // come 1 s and 2 s later) would find it held and be dead-lettered, the window never sent.
    try {
      await ledger.releaseWindow?.(ref, until);
    } catch (releaseError) {
      ctx.logger.warn('digest publish hold not released; it runs out at the lease', {
        window: windowId(ref),
        error: describeError(releaseError),
      });
    }
    throw error;
  }
  const sentAt = isoNow(ctx.clock);
  await ledger.markWindowSent(ref, messageId, sentAt);
  await ledger.clearWindowDue?.(ref, sentAt);
  ctx.metrics.count('DigestsSent');
  ctx.logger.info('digest sent', {
    route: ref.route,
    window: windowId(ref),
    files: window.files,
    failed: window.failed,
    messageId,
  });
  return { status: 'sent', window: { ...window, sentAt, messageId } };
}
