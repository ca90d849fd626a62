import { type EventlineConfig, visibilityTimeoutSeconds } from '@eventline/config';
import {
  ATTENTION_STATES,
  describeDrop,
  digestCloseMessage,
  dropDecision,
  type FileState,
  hasPendingSteps,
  type RedriveObject,
  type RedrivePurpose,
  type WindowRef,
  windowId,
} from '@eventline/core';
import type { Command } from 'commander';
import type { Cli } from '../context.ts';
import { dueWindows } from '../digest-sweep.ts';
import { attentionStates, fileStates, outcomesByKey } from '../ledger.ts';
import { letterOf } from '../letters.ts';
import { routedObjects } from '../listing.ts';
import { emit, table } from '../output.ts';
import { deliverySpanMs, peek, release } from '../queues.ts';
import { eventsFor, senderFor } from '../redrive.ts';
import { needQueue, type Target } from '../resources.ts';
import { Progress } from '../throttle.ts';

/**
 * `reconcile`: the bucket under every route beside the ledger. S3 notifications are at-least-once and
 * Lambda's asynchronous queue can drop events, so some objects may never reach an outcome. Reports
 *  - `no-outcome`: an object (this version, by ETag) the ledger has no outcome for;
 *  - `stuck`: an outcome PROCESSING past its lease (the invocation died, no retry came);
 *  - `owes`: a finished outcome that still owes a step (its notification or dead letter, or an older
 *    version's in `owed`) and that no invocation holds: its event may be gone (the events DLQ purged or
 *    expired), and nothing else would send the step;
 *  - `failed-not-in-dlq`: a FAILED file with no letter in eventline's dead-letter queue, unless an
 *    operator dropped that failure (`dlq drop`, recorded in the ledger; `--include-dropped` reports
 *    and re-drives those too);
 *  - `digest-unsent`: a digest window whose digest was never sent although its close has had every
 *    delivery the ingest queue gives it (`closeSpanMs` after the window's end) and no close is
 *    publishing it now: its close letters may all be lost (dead-lettered, then dropped or expired).
 *    From its due item in the index. A window still inside that span is closing normally, not a finding;
 * It reads the outcomes of the listed objects by key (BatchGetItem, 100 a request) and the outcomes
 * that need a look from the ledger's `attention` index (FAILED, owing, retried: also those whose
 * object is gone), never the whole table (unless a local table made before the index has none).
 * A first attempt stuck past its lease whose object is gone is not indexed, and not reported: there
 * is nothing to re-drive.
 * With `--fix` it re-drives each (`owes` as the outcome's own version, so the function sends the
 * steps without processing the file again; `failed-not-in-dlq` as a replay, so that the FAILED file
 * is processed again; `digest-unsent` by sending the window's close again: a window publishes once,
 * so a close still on its way does no harm).
 */

export type Finding = {
  kind: 'no-outcome' | 'stuck' | 'owes' | 'failed-not-in-dlq' | 'digest-unsent';
  key: string;
  route?: string;
  detail: string;
  fixed?: boolean;
};

const PURPOSE: Record<Finding['kind'], RedrivePurpose> = {
  'no-outcome': 'backfill',
  stuck: 'backfill',
  owes: 'backfill',
  'failed-not-in-dlq': 'replay',
  'digest-unsent': 'backfill',
};

async function lettersByKey(target: Target, progress: (line: string) => void): Promise<Set<string>> {
  const queue = needQueue(target, 'files', 'reconcile');
  // A FAILED file beyond the letters read would be reported wrongly: read many, and say when cut.
  const messages = await peek(target, queue, { max: 10_000, progress });
  await release(target, queue, messages);
  const keys = new Set<string>();
  for (const m of messages) {
    const letter = letterOf(queue, m);
    if (letter.key) keys.add(letter.key);
  }
  return keys;
}

/**
 * How long after its window's end a digest close may still be on its way, by the config (the ingest
 * queue's own attributes are read first, queues.ts deliverySpanMs): the queue delivers it up to
 * maxReceiveCount times, each after at most a visibility timeout. Until then an unsent window is a
 * close in flight (reconcile's exit would alarm on normal work), not a lost one.
 */
export function closeSpanMs(config: EventlineConfig): number {
  return config.trigger.maxReceiveCount * visibilityTimeoutSeconds(config) * 1000;
}

export async function reconcile(
  target: Target,
  objects: AsyncIterable<RedriveObject & { route: string }>,
  now: number,
  progress: (line: string) => void,
  includeDropped = false,
  routes: string[] = [],
  /** closeSpanMs of the stack's config: windows that ended less than this ago are still closing. */
  closeSpan = 0,
): Promise<{
  findings: Finding[];
  targets: Map<Finding, RedriveObject>;
  closes: Map<Finding, WindowRef>;
  listed: number;
  dropped: number;
}> {
  const bucket = target.bucket.name;
  // Hole 12: a newer version behind an older version's live claim is deferred past its lease, not lost.
  const waiting = (state: FileState) =>
    state.leaseUntil > now
      ? `; the older version holds the file until ${new Date(state.leaseUntil).toISOString()}: this one waits for that lease and is processed after it (--fix sends it again, a duplicate wait)`
      : '';
  const states = new Map<string, FileState>();
  // The outcomes that need a look, whether or not their object is still there.
  for (const state of ATTENTION_STATES) {
    const found = await attentionStates(target, routes, state);
    if (!found) {
      progress('reconcile: the ledger table has no "attention" index: reading the whole table');
      states.clear();
      for (const s of await fileStates(target, progress)) if (s.bucket === bucket) states.set(s.key, s);
      break;
    }
    for (const s of found) if (s.bucket === bucket) states.set(s.key, s);
  }
  const findings: Finding[] = [];
  const targets = new Map<Finding, RedriveObject>();
  const tick = new Progress(progress);
  let listed = 0;
  const seen = new Set<string>();
  let dropped = 0;
  let chunk: Array<RedriveObject & { route: string }> = [];
  const compare = async () => {
    const missing = chunk.filter((o) => !states.has(o.key)).map((o) => o.key);
    for (const [key, state] of await outcomesByKey(target, bucket, missing)) states.set(key, state);
    for (const object of chunk) check(object);
    chunk = [];
  };
  for await (const object of objects) {
    listed += 1;
    seen.add(object.key);
    chunk.push(object);
    if (chunk.length >= 100) await compare();
    tick.tick(() => `reconcile: ${listed} object(s) listed`);
  }
  await compare();
  function check(object: RedriveObject & { route: string }) {
    const state = states.get(object.key);
    const sameVersion = state && (!object.eTag || !state.eTag || state.eTag === object.eTag);
    if (!state || !sameVersion) {
      const f: Finding = {
        kind: 'no-outcome',
        key: object.key,
        route: object.route,
        detail: state
          ? `the ledger's outcome is for ETag ${state.eTag}, the object's is ${object.eTag}${waiting(state)}`
          : 'no outcome in the ledger',
      };
      findings.push(f);
      targets.set(f, object);
    }
  }
  const withLetters = await lettersByKey(target, progress);
  for (const state of states.values()) {
    const object: RedriveObject = {
      bucket: state.bucket,
      key: state.key,
      ...(state.versionId ? { versionId: state.versionId } : {}),
      ...(state.eTag ? { eTag: state.eTag } : {}),
      ...(state.size !== undefined ? { size: Number(state.size) } : {}),
    };
    if (state.status === 'PROCESSING' && state.leaseUntil < now) {
      const f: Finding = {
        kind: 'stuck',
        key: state.key,
        route: state.route,
        detail: `PROCESSING since ${state.startedAt}, lease ended ${new Date(state.leaseUntil).toISOString()}`,
      };
      findings.push(f);
      if (seen.has(state.key)) targets.set(f, object);
      else f.detail += ' (the object is gone: nothing to re-drive)';
    } else if (state.status !== 'PROCESSING' && state.leaseUntil < now && hasPendingSteps(state)) {
      // Sending owed steps reads nothing from S3: re-driven even when the object is gone.
      const owing = [
        ...(state.notification.status === 'PENDING' ? ['its notification'] : []),
        ...(state.deadLetter.status === 'PENDING' ? ['its dead letter'] : []),
        ...((state.owed?.length ?? 0) > 0 ? [`${state.owed?.length} older version(s)' steps`] : []),
      ];
      const f: Finding = {
        kind: 'owes',
        key: state.key,
        route: state.route,
        detail: `${state.status}, still owes ${owing.join(', ')}; no invocation is sending them`,
      };
      findings.push(f);
      targets.set(f, object);
    } else if (state.status === 'FAILED' && !withLetters.has(state.key)) {
      const decision = dropDecision(state);
      if (decision && !includeDropped) {
        dropped += 1;
        continue;
      }
      const f: Finding = {
        kind: 'failed-not-in-dlq',
        key: state.key,
        route: state.route,
        detail: `FAILED (${state.error?.code ?? '?'}: ${state.error?.message ?? ''}), ${decision ? `its letter ${describeDrop(decision)}` : 'no letter in the dead-letter queue'}`,
      };
      findings.push(f);
      if (seen.has(state.key)) targets.set(f, object);
      else f.detail += ' (the object is gone: nothing to re-drive)';
    }
  }
  const closes = new Map<Finding, WindowRef>();
  const due = await dueWindows(target, routes, now);
  if (!due) progress('reconcile: the ledger table has no "attention" index: digest windows are not checked');
  let closing = 0;
  for (const { ref, endsAt, window } of due ?? []) {
    if (window?.sentAt) continue;
    // Still closing: inside its close's deliveries, or a close holds it while it publishes.
    if (endsAt + closeSpan > now || (window?.publishing !== undefined && window.publishing > now)) {
      closing += 1;
      continue;
    }
    const f: Finding = {
      kind: 'digest-unsent',
      key: windowId(ref),
      route: ref.route,
      detail: `digest window ended ${new Date(endsAt).toISOString()}, ${window ? `${window.files} file(s) (${window.processed} processed, ${window.failed} failed)` : 'no file joined it'}, ${window?.closedAt ? 'closed' : 'not closed'}, not sent; its close may be lost (a close still on its way is harmless: a window publishes once)`,
    };
    findings.push(f);
    closes.set(f, ref);
  }
  if (closing > 0) {
    progress(
      `reconcile: ${closing} digest window(s) ended but still closing (their close has deliveries left): not findings`,
    );
  }
  progress(
    `reconcile: ${listed} object(s) listed, ${states.size} outcome(s) read, ${findings.length} finding(s)`,
  );
  if (dropped > 0)
    progress(
      `reconcile: ${dropped} FAILED file(s) left alone: an operator dropped their letters (dlq drop); --include-dropped re-drives them`,
    );
  return { findings, targets, closes, listed, dropped };
}

export function register(program: Command, cli: Cli): void {
  program
    .command('reconcile')
    .description(
      'compare the bucket under every route with the ledger: objects with no outcome, outcomes stuck in PROCESSING past their lease, outcomes that still owe a notification or dead letter, FAILED files not in the dead-letter queue',
    )
    .option('--fix', 're-drive what it finds (FAILED files as replays)')
    .option(
      '--include-dropped',
      'also report (and with --fix re-drive) FAILED files whose letter an operator dropped',
    )
    .action(async (options: { fix?: boolean; includeDropped?: boolean }) => {
      const target = await cli.target();
      const config = await cli.config();
      const out = cli.out;
      const { findings, targets, closes, listed } = await reconcile(
        target,
        routedObjects(target, config),
        Date.now(),
        out.progress,
        options.includeDropped ?? false,
        await cli.routeIds(),
        // The ingest queue's own settings when it answers (what the deployed queue does), else the config's.
        (target.queues.ingest ? await deliverySpanMs(target, target.queues.ingest) : undefined) ??
          closeSpanMs(config),
      );
      if (options.fix && targets.size > 0) {
        const sender = senderFor(target, 'reconcile --fix');
        const entries = [...targets.entries()];
        for (let i = 0; i < entries.length; i += 10) {
          const chunk = entries.slice(i, i + 10);
          for (const kind of ['backfill', 'replay'] as const) {
            const part = chunk.filter(([f]) => PURPOSE[f.kind] === kind);
            if (part.length === 0) continue;
            await sender.send(
              eventsFor(
                part.map(([, o]) => o),
                kind,
              ),
            );
            for (const [f] of part) f.fixed = true;
          }
          out.progress(
            `reconcile --fix: ${Math.min(i + 10, entries.length)} of ${entries.length} re-driven to ${sender.describe}`,
          );
        }
      }
      if (options.fix && closes.size > 0) {
        // Digest routes run in queue mode: the close goes on the ingest queue, as the function sends it.
        const sender = senderFor(target, 'reconcile --fix');
        const entries = [...closes.entries()];
        for (let i = 0; i < entries.length; i += 10) {
          const chunk = entries.slice(i, i + 10);
          await sender.send(chunk.map(([, ref]) => digestCloseMessage(ref)));
          for (const [f] of chunk) f.fixed = true;
        }
        out.progress(`reconcile --fix: ${entries.length} digest window close(s) sent to ${sender.describe}`);
      }
      emit(out, { listed, findings }, () =>
        findings.length === 0
          ? `${listed} object(s) under the routes, every one with its outcome; nothing stuck, owed or missing from the dead-letter queue\n`
          : table(
              ['FINDING', 'KEY', 'ROUTE', 'FIXED', 'DETAIL'],
              findings.map((f) => [
                f.kind,
                f.key,
                f.route,
                options.fix ? (f.fixed ? 'yes' : 'no') : '-',
                f.detail,
              ]),
            ) + (options.fix ? '' : `run with --fix to re-drive them\n`),
      );
      if (findings.some((f) => !f.fixed)) process.exitCode = 1;
    });
}
