import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DigestPolicy, FileState, InboundMessage } from '@eventline/core';
import { fileKey, fileStateOf, InProgressError, recordOf, supersededRecord } from '@eventline/core';
import { DigestChecker } from './digest-check.ts';
import type { S3Version } from './fake-aws.ts';
import { BUCKET, ROUTE_PREFIX, type World } from './world.ts';

/**
 * The invariants of docs/protocol.md, checked by the simulator: some at every write the fake
 * DynamoDB stores (an older version never replaces a newer one), the rest at quiescence (every
 * version announced, nothing left PROCESSING or owing). Each violation names its invariant.
 */

export const INVARIANTS = {
  I1: 'the outcome item of an object never goes back to an older version',
  I2: 'a record item never goes back to an older version of the object it came from',
  I3: "the records of an object's PROCESSED current version hold that version's payload",
  I4: "a record of an object whose current version is PROCESSED is that version's or, under a key it did not write, a superseded version's, told apart as one (records --stale)",
  I5: 'at quiescence no outcome is PROCESSING or owes a notification or dead letter',
  I6: 'at quiescence every existing object has a terminal outcome for its current version',
  I7: 'every terminal outcome ever stored was announced (published at least once)',
  I8: 'every announcement of one outcome carries the same idempotency key, whoever sent it',
  I9: 'every FAILED outcome ever stored was dead-lettered',
  I10: 'every dead letter of one outcome carries the same dedupe key',
  I11: 'no file is worked on past maxAttempts attempts (a claim past it only records FAILED)',
  I12: 'every segment of a continued file makes progress (its checkpoint moves forward)',
  I13: 'on a digest route every terminal outcome counts in exactly one window, closed and published once per key',
  I14: "a version's delivery is never refused for another version's live claim: it is deferred past that lease (hole 12)",
} as const;

export type InvariantId = keyof typeof INVARIANTS;
export interface Violation {
  invariant: InvariantId;
  detail: string;
}

type Item = Record<string, AttributeValue>;

const versionLabel = (v: S3Version | undefined) => (v ? `#${v.put}` : '#?');

export class Checker {
  readonly violations: Violation[] = [];
  /** Terminal outcomes stored: `key|put|status`. */
  readonly outcomes = new Set<string>();
  private readonly lastCheckpoint = new Map<string, number>();
  /** Invocations that claimed a file past maxAttempts, and the file: they may only record FAILED (I11). */
  private readonly pastMax = new Map<number, string>();

  private readonly digests: DigestChecker | undefined;

  constructor(
    private readonly world: World,
    private readonly maxAttempts: number,
    private readonly digest?: DigestPolicy,
  ) {
    world.dynamo.onWrite = (item, before, transaction) => this.onWrite(item, before, transaction);
    world.onCall = (invocation, label) => this.onCall(invocation, label);
    world.onFailed = (invocation, inbound, error) => this.onFailed(invocation, inbound, error);
    this.digests = digest
      ? new DigestChecker(
          world,
          (state) => `${state.key}|${versionLabel(this.versionOfState(state))}|${state.startedAt}`,
          (detail) => this.fail('I13', detail),
        )
      : undefined;
  }

  /** Windows whose digest was published again before it was marked sent (W1), for the report. */
  get digestRepublished(): number {
    return this.digests?.republished ?? 0;
  }

  private fail(invariant: InvariantId, detail: string): void {
    this.violations.push({ invariant, detail });
  }

  private versionOfState(
    state: Pick<FileState, 'key' | 'versionId' | 'sequencer' | 'eTag'>,
  ): S3Version | undefined {
    const id: { versionId?: string; eTag?: string; sequencer?: string } = {};
    if (state.versionId) id.versionId = state.versionId;
    if (state.sequencer) id.sequencer = state.sequencer;
    if (state.eTag) id.eTag = state.eTag;
    return this.world.s3.versionOf(state.key, id);
  }

  /**
   * I11, call by call: an invocation that claimed a file past maxAttempts reads none of it and
   * writes no record; it may name the version (HeadObject), record FAILED, send the letter, the
   * notification and a digest window's close, or give the claim back when it cannot.
   */
  private onCall(invocation: number, label: string): void {
    const key = this.pastMax.get(invocation);
    if (key === undefined) return;
    const work =
      label.startsWith('GetObject ') ||
      label.startsWith('read ') ||
      label === 'BatchWriteItem' ||
      (label.startsWith('PutItem ') && !label.startsWith('PutItem #file#'));
    if (work)
      this.fail('I11', `${key}: #${invocation} claimed it past ${this.maxAttempts} attempts, then ${label}`);
  }

  /**
   * I14 (hole 12): a delivery refused `in-progress` is a redelivery of the version the ledger's live
   * claim is about, never another version's event: that one is deferred, so an older file's
   * segments cannot use up a newer version's deliveries and send it to the events DLQ.
   */
  private onFailed(invocation: number, inbound: InboundMessage, error: unknown): void {
    if (!(error instanceof InProgressError) || error.code !== 'in-progress') return;
    for (const event of inbound.objects) {
      const item = this.world.dynamo.items.get(fileKey(event.bucket, event.key));
      if (!item) continue;
      const state = fileStateOf(unmarshall(item));
      if (state.leaseUntil <= this.world.clock.now()) continue;
      const held = this.versionOfState(state);
      const refused = this.versionOfState(event);
      if (held?.put !== refused?.put) {
        this.fail(
          'I14',
          `${event.key}: #${invocation}'s event of ${versionLabel(refused)} refused in-progress behind ${versionLabel(held)}'s claim`,
        );
      }
    }
  }

  private onWrite(item: Item, before: Item | undefined, transaction?: string[]): void {
    const plain = unmarshall(item);
    if (plain.kind === 'digest') this.digests?.onWindow(item, before, transaction);
    if (plain.kind === 'file') {
      const state = fileStateOf(plain);
      this.digests?.onFile(state, before ? fileStateOf(unmarshall(before)) : undefined, transaction);
      const version = this.versionOfState(state);
      if (before) {
        const old = fileStateOf(unmarshall(before));
        const previous = this.versionOfState(old);
        if (version && previous && version.put < previous.put) {
          this.fail(
            'I1',
            `${state.key}: outcome went from ${versionLabel(previous)} to ${versionLabel(version)} (${state.status})`,
          );
        }
      }
      if (
        state.status === 'PROCESSING' &&
        !state.handoff &&
        state.attempts > this.maxAttempts &&
        this.world.caller !== undefined
      ) {
        this.pastMax.set(this.world.caller, state.key);
      }
      if (state.status !== 'PROCESSING') this.outcomes.add(`${state.key}|${version?.put}|${state.status}`);
      if (before) {
        // A claim past maxAttempts exists only to record FAILED: it must not read or write more. It
        // may give the claim back (lease 0) when that write fails: on a digest route the FAILED
        // write first sends its window's close, and SQS may be down while DynamoDB is not (found
        // by the simulator, seed 25013; a release is not work, the next claim records FAILED).
        const old = fileStateOf(unmarshall(before));
        if (
          old.status === 'PROCESSING' &&
          !old.handoff &&
          old.attempts > this.maxAttempts &&
          state.status === 'PROCESSING' &&
          state.attempts === old.attempts &&
          state.startedAt === old.startedAt &&
          !(state.leaseUntil === 0 && JSON.stringify(state.checkpoint) === JSON.stringify(old.checkpoint))
        ) {
          this.fail(
            'I11',
            `${state.key} ${versionLabel(version)}: attempt ${state.attempts} of ${this.maxAttempts} went on working`,
          );
        }
      }
      if (state.checkpoint) {
        const id = `${state.key}|${version?.put}|${state.startedAt}`;
        const last = this.lastCheckpoint.get(id) ?? -1;
        if (state.handoff && state.checkpoint.records <= last) {
          this.fail(
            'I12',
            `${state.key} ${versionLabel(version)}: a segment paused at record ${state.checkpoint.records}, no further than ${last}`,
          );
        }
        this.lastCheckpoint.set(id, Math.max(last, state.checkpoint.records));
      }
      return;
    }
    if (plain.kind === 'record' && before) {
      const source = plain.source as { key: string; versionId?: string; sequencer?: string; eTag?: string };
      const old = unmarshall(before).source as typeof source | undefined;
      if (!old || old.key !== source.key) return;
      const now = this.world.s3.versionOf(source.key, source);
      const was = this.world.s3.versionOf(old.key, old);
      if (now && was && now.put < was.put) {
        this.fail(
          'I2',
          `record ${plain.pk}: ${versionLabel(was)} replaced by the older ${versionLabel(now)}`,
        );
      }
    }
  }

  /** The checks at quiescence. */
  finish(): Violation[] {
    const { world } = this;
    const files = new Map<string, FileState>();
    const records = new Map<string, Record<string, unknown>>();
    for (const item of world.dynamo.items.values()) {
      const plain = unmarshall(item);
      if (plain.kind === 'file') {
        const state = fileStateOf(plain);
        files.set(state.key, state);
      } else if (plain.kind === 'record') records.set(String(plain.pk), plain);
    }
    for (const state of files.values()) {
      if (state.status === 'PROCESSING')
        this.fail('I5', `${state.key}: left PROCESSING (attempt ${state.attempts})`);
      const owes = state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING';
      if (owes || (state.owed?.length ?? 0) > 0) {
        this.fail(
          'I5',
          `${state.key}: owes ${owes ? 'its own step' : ''} ${state.owed?.length ?? 0} older step(s)`,
        );
      }
    }
    for (const [key, history] of world.s3.history) {
      if (!key.startsWith(ROUTE_PREFIX)) continue;
      const current = world.s3.current(key);
      const state = files.get(key);
      if (current) {
        const named = state ? this.versionOfState(state) : undefined;
        if (!state || named?.put !== current.put || state.status === 'PROCESSING') {
          this.fail(
            'I6',
            `${key}: current ${versionLabel(current)}, the ledger holds ${state ? `${versionLabel(named)} ${state.status}` : 'nothing'}`,
          );
        } else if (state.status === 'PROCESSED') {
          const expected = new Map<string, number>();
          // A generated body's payload carries its put number (`v`); a fixed one (a re-upload of the
          // same bytes) carries what it says: the record must hold the current body's payload.
          for (const line of new TextDecoder().decode(current.body).split('\n').filter(Boolean)) {
            const parsed = JSON.parse(line) as { id: string; v?: unknown };
            expected.set(String(parsed.id), Number(parsed.v ?? current.put));
          }
          for (const [id, put] of expected) {
            const stored = records.get(id);
            const v = (stored?.payload as { v?: unknown } | undefined)?.v;
            if (Number(v) !== put)
              this.fail('I3', `${key}: record ${id} holds #${v ?? 'nothing'}, not the current #${put}`);
          }
          // I4: a record of this object under a key the current version did not write is a
          // superseded version's, and is told apart as one (`records --stale` lists exactly these);
          // every record the current version wrote names it.
          for (const [id, stored] of records) {
            const record = recordOf(stored);
            if (record.source.key !== key) continue;
            const superseded = supersededRecord(record, state);
            const from = this.world.s3.versionOf(key, record.source);
            if (expected.has(id)) {
              if (superseded)
                this.fail(
                  'I4',
                  `${key}: record ${id}, written by the current #${current.put}, is taken for a superseded one`,
                );
            } else if (!superseded || !from || from.put >= current.put) {
              this.fail(
                'I4',
                `${key}: record ${id} of ${versionLabel(from)} beside #${current.put} is not told apart as superseded`,
              );
            }
          }
        }
      }
      void history;
    }
    // Announcements and dead letters, by the version they name.
    const keysByOutcome = new Map<string, Set<string>>();
    for (const p of world.published) {
      if (p.json.status === 'DIGEST') continue;
      const version = this.versionOfState({
        key: String(p.json.key),
        versionId: p.json.versionId as string | undefined,
        sequencer: p.json.sequencer as string | undefined,
        eTag: p.json.eTag as string | undefined,
      } as FileState);
      const id = `${p.json.key}|${version?.put}|${p.json.status}`;
      let keys = keysByOutcome.get(id);
      if (!keys) {
        keys = new Set();
        keysByOutcome.set(id, keys);
      }
      keys.add(p.idempotencyKey);
    }
    for (const outcome of this.outcomes) {
      // A digest route announces an outcome in its window's digest (I13), a failure also at once
      // with failuresImmediately.
      const alone = !this.digest || (this.digest.failuresImmediately && outcome.endsWith('|FAILED'));
      if (alone && !keysByOutcome.has(outcome)) this.fail('I7', `${outcome}: stored, never announced`);
    }
    this.digests?.finish(files.values());
    for (const [outcome, keys] of keysByOutcome) {
      if (keys.size > 1) this.fail('I8', `${outcome}: announced under ${keys.size} idempotency keys`);
    }
    const letters = world.filesDlq.messages.map((m) => JSON.parse(m.body) as Record<string, unknown>);
    const allLetters = [...letters, ...world.replayedLetters];
    const dedupe = new Map<string, Set<string>>();
    for (const letter of allLetters) {
      const object = letter.object as { key: string; versionId?: string; sequencer?: string } | undefined;
      if (!object) continue;
      const id = `${object.key}|${this.world.s3.versionOf(object.key, object)?.put}`;
      let keys = dedupe.get(id);
      if (!keys) {
        keys = new Set();
        dedupe.set(id, keys);
      }
      keys.add(String(letter.dedupeKey ?? `no key ${keys.size}`));
    }
    for (const outcome of this.outcomes) {
      const [key, put, status] = outcome.split('|');
      if (status !== 'FAILED') continue;
      const letter = allLetters.some((l) => (l.object as { key?: string } | undefined)?.key === key);
      if (!letter) this.fail('I9', `${key} #${put}: FAILED, never dead-lettered`);
    }
    for (const [id, keys] of dedupe) {
      if (keys.size > 1) this.fail('I10', `${id}: ${keys.size} dead letters without one dedupe key`);
    }
    void BUCKET;
    return this.violations;
  }
}
