/**
 * The simulator's check of I13 (docs/protocol.md): on a digest route every terminal outcome is
 * counted in exactly one window, by the transaction that makes it terminal; each window's counts are
 * those of the outcomes that joined it; no outcome joins a closed window; every window is closed
 * and sent at quiescence, its digest published with its own key and the counts it holds, and never
 * again once marked sent (a republish before `sentAt` is window W1, allowed).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { windowKey } from '@eventline/aws';
import { digestKey, type FileState, fileStateOf, windowId } from '@eventline/core';
import type { World } from './world.ts';

type Item = Record<string, AttributeValue>;

interface Joined {
  files: number;
  processed: number;
  failed: number;
}

export class DigestChecker {
  /** Joins seen per window key (pk), with the statuses of the outcomes that joined. */
  private readonly joins = new Map<string, Joined>();
  /** Windows whose digest was published more than once before being marked sent (W1). */
  republished = 0;

  constructor(
    private readonly world: World,
    private readonly outcomeId: (state: FileState) => string,
    private readonly fail: (detail: string) => void,
  ) {}

  /** A file item stored: a write that makes an outcome terminal must be a join (T12). */
  onFile(state: FileState, before: FileState | undefined, transaction: string[] | undefined): void {
    if (state.status === 'PROCESSING') return;
    const terminalBefore =
      before !== undefined &&
      before.status !== 'PROCESSING' &&
      this.outcomeId(before) === this.outcomeId(state);
    if (terminalBefore) {
      if (state.digest !== before.digest)
        this.fail(`${this.outcomeId(state)}: its window changed from ${before.digest} to ${state.digest}`);
      return;
    }
    const window = transaction?.find((pk) => pk.includes('#digest#'));
    if (!window) {
      this.fail(`${this.outcomeId(state)} ${state.status}: made terminal without joining a window`);
    }
  }

  /** A window item stored: by a join (a transaction with the outcome), a close or its marking sent. */
  onWindow(item: Item, before: Item | undefined, transaction: string[] | undefined): void {
    const pk = String(item.pk?.S);
    if (!transaction) return;
    const filePk = transaction.find((other) => other !== pk);
    const fileItem = filePk ? this.world.dynamo.items.get(filePk) : undefined;
    const file = fileItem ? unmarshall(fileItem) : undefined;
    if (file?.kind !== 'file') {
      this.fail(`${pk}: joined by a transaction without an outcome`);
      return;
    }
    const state = fileStateOf(file);
    const window = unmarshall(item);
    const ref = { route: String(window.route), start: Number(window.start), part: Number(window.part) };
    if (state.digest !== windowId(ref))
      this.fail(`${this.outcomeId(state)} names window ${state.digest} but joined ${windowId(ref)}`);
    if (before?.closedAt !== undefined)
      this.fail(`${this.outcomeId(state)} joined ${windowId(ref)} after it closed`);
    const joined = this.joins.get(pk) ?? { files: 0, processed: 0, failed: 0 };
    joined.files += 1;
    if (state.status === 'FAILED') joined.failed += 1;
    else joined.processed += 1;
    this.joins.set(pk, joined);
  }

  /** The checks at quiescence. */
  finish(files: Iterable<FileState>): void {
    const windows = new Map<string, Record<string, unknown>>();
    for (const item of this.world.dynamo.items.values()) {
      const plain = unmarshall(item);
      if (plain.kind === 'digest') windows.set(String(plain.pk), plain);
    }
    for (const state of files) {
      if (state.status === 'PROCESSING') continue;
      if (!state.digest) this.fail(`${this.outcomeId(state)} ${state.status}: names no window`);
      else {
        const [route, start, part] = state.digest.split('/');
        const pk = windowKey({ route: route!, start: Number(start), part: Number(part) });
        if (!windows.has(pk))
          this.fail(`${this.outcomeId(state)} names ${state.digest}, which does not exist`);
      }
    }
    for (const pk of this.joins.keys()) {
      if (!windows.has(pk)) this.fail(`${pk}: joined, then gone`);
    }
    const published = new Map<string, Array<Record<string, unknown>>>();
    for (const p of this.world.published) {
      if (p.json.status !== 'DIGEST') continue;
      const id = String((p.json.window as { id?: string }).id);
      const list = published.get(id) ?? [];
      list.push(p.json);
      published.set(id, list);
      if (p.windowWasSent) this.fail(`${id}: published again after it was marked sent`);
    }
    for (const [pk, window] of windows) {
      const ref = { route: String(window.route), start: Number(window.start), part: Number(window.part) };
      const id = windowId(ref);
      const joined = this.joins.get(pk) ?? { files: 0, processed: 0, failed: 0 };
      const counts = {
        files: Number(window.files ?? 0),
        processed: Number(window.processed ?? 0),
        failed: Number(window.failed ?? 0),
      };
      if (
        counts.files !== joined.files ||
        counts.processed !== joined.processed ||
        counts.failed !== joined.failed
      ) {
        this.fail(
          `${id}: counts ${JSON.stringify(counts)}, but the outcomes that joined it ${JSON.stringify(joined)}`,
        );
      }
      if (window.closedAt === undefined) this.fail(`${id}: never closed`);
      if (window.sentAt === undefined) this.fail(`${id}: never marked sent`);
      const sent = published.get(id) ?? [];
      published.delete(id);
      if (counts.files === 0) {
        if (sent.length > 0) this.fail(`${id}: empty, yet published`);
        continue;
      }
      if (sent.length === 0) this.fail(`${id}: ${counts.files} file(s), never published`);
      if (sent.length > 1) this.republished += 1;
      for (const json of sent) {
        const total = json.files as { total: number; processed: number; failed: number };
        if (json.idempotencyKey !== digestKey(ref)) this.fail(`${id}: published under another key`);
        if (
          total.total !== counts.files ||
          total.processed !== counts.processed ||
          total.failed !== counts.failed
        ) {
          this.fail(`${id}: published ${JSON.stringify(total)}, the window holds ${JSON.stringify(counts)}`);
        }
      }
    }
    for (const id of published.keys()) this.fail(`${id}: published, but no such window`);
  }
}
