import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { FileState } from '@eventline/core';
import {
  digestCloseMessage,
  dueWindowOf,
  encodeS3Key,
  fileStateOf,
  hasPendingSteps,
  type RedriveObject,
  type RedrivePurpose,
  redriveEvent,
} from '@eventline/core';
import { BUCKET, ROUTE_PREFIX, type World } from './world.ts';

/**
 * The operator's tools as the simulator runs them: what `backfill`, `reconcile --fix`, `dlq replay`,
 * the events DLQ redrive and the local stack's start-up recovery send, built from what each of them
 * reads (a listing, the ledger, a dead letter) exactly as the CLI and the local stack build them
 * (packages/cli/src/commands/{backfill,reconcile,dlq}.ts, packages/local/src/recovery.ts).
 */

function fileStates(world: World): Map<string, FileState> {
  const states = new Map<string, FileState>();
  for (const item of world.dynamo.items.values()) {
    const plain = unmarshall(item);
    if (plain.kind === 'file') {
      const state = fileStateOf(plain);
      states.set(state.key, state);
    }
  }
  return states;
}

/** ListObjectsV2 under the route: current objects, ETag and size, no version, no sequencer. */
function listing(world: World) {
  const objects = [];
  for (const key of [...world.s3.history.keys()].sort()) {
    const current = world.s3.current(key);
    if (!current || !key.startsWith(ROUTE_PREFIX)) continue;
    objects.push({ bucket: BUCKET, key, eTag: current.eTag, size: current.body.length });
  }
  return objects;
}

const send = (world: World, event: Record<string, unknown>) =>
  world.ingest.send(JSON.stringify(event), world.clock.now());

/** The tool's event, made at the world's time (not the wall clock's, which differs run to run). */
const redrive = (world: World, object: RedriveObject, purpose: RedrivePurpose) =>
  redriveEvent({ ...object, eventTime: new Date(world.clock.now()).toISOString() }, purpose);

export function backfill(world: World): void {
  for (const object of listing(world)) send(world, redrive(world, object, 'backfill'));
  world.log.push('backfill');
}

export function reconcileFix(world: World): void {
  const states = fileStates(world);
  const now = world.clock.now();
  const listed = listing(world);
  const letters = new Set(
    [...world.filesDlq.messages].map(
      (m) => (JSON.parse(m.body) as { object?: { key?: string } }).object?.key,
    ),
  );
  for (const object of listed) {
    const state = states.get(object.key);
    const same = state && (!object.eTag || !state.eTag || state.eTag === object.eTag);
    if (!state || !same) send(world, redrive(world, object, 'backfill'));
  }
  const seen = new Set(listed.map((o) => o.key));
  for (const state of states.values()) {
    const object = {
      bucket: state.bucket,
      key: state.key,
      ...(state.versionId ? { versionId: state.versionId } : {}),
      ...(state.eTag ? { eTag: state.eTag } : {}),
      ...(state.size !== undefined ? { size: Number(state.size) } : {}),
    };
    const listedNow = seen.has(state.key);
    if (state.status === 'PROCESSING' && state.leaseUntil < now) {
      if (listedNow) send(world, redrive(world, object, 'backfill'));
    } else if (state.status !== 'PROCESSING' && state.leaseUntil < now && hasPendingSteps(state)) {
      // `owes`: re-driven even when the object is gone (sending steps reads nothing from S3).
      send(world, redrive(world, object, 'backfill'));
    } else if (state.status === 'FAILED' && !letters.has(state.key)) {
      if (listedNow) send(world, redrive(world, object, 'replay'));
    }
  }
  // Windows owed a close past their end (their due items, as the CLI's query of the `attention`
  // index reads them): each gets its close again; a close of a window already sent only clears it.
  for (const item of world.dynamo.items.values()) {
    const plain = unmarshall(item);
    const due = dueWindowOf(plain);
    if (due && plain.ix !== undefined && due.endsAt < now) send(world, digestCloseMessage(due));
  }
  world.log.push('reconcile --fix');
}

/** `dlq replay` of the first letter: a replay event for the version it names, unless that version is gone. */
export function dlqReplay(world: World): void {
  const message = world.filesDlq.messages[0];
  if (!message) return;
  world.filesDlq.remove(message.id);
  const letter = JSON.parse(message.body) as Record<string, unknown>;
  world.replayedLetters.push(letter);
  const object = letter.object as
    | { bucket: string; key: string; versionId?: string; sequencer?: string }
    | undefined;
  if (!object) return;
  const exists = object.versionId
    ? world.s3.versionOf(object.key, { versionId: object.versionId }) !== undefined
    : world.s3.current(object.key) !== undefined;
  if (exists) send(world, redrive(world, object, 'replay'));
  world.log.push(`dlq replay ${object.key}`);
}

/** The events DLQ moved back to the ingest queue (SQS's redrive). */
export function redriveEvents(world: World): void {
  for (const message of world.eventsDlq.drain())
    send(world, JSON.parse(message.body) as Record<string, unknown>);
}

/**
 * The local stack restarts: every invocation dies, leases taken before the boot are void, and
 * routed objects without a finished outcome get a made-up event (ETag and size, no sequencer).
 */
export async function restart(world: World): Promise<void> {
  world.killAll();
  const bootAt = world.clock.now();
  const states = fileStates(world);
  for (const object of listing(world)) {
    let state = states.get(object.key);
    if (state && state.leaseUntil > bootAt && Date.parse(state.updatedAt) < bootAt) {
      const pk = { S: `#file#${BUCKET}/${object.key}` };
      const item = world.dynamo.items.get(pk.S);
      if (item && Number(item.rev?.N) === state.rev) {
        // Awaited only on the emulator's table: the fake's write is synchronous, its schedule unchanged.
        const written = world.dynamo.overwrite(pk.S, {
          ...item,
          lease: { N: '0' },
          rev: { N: String(state.rev + 1) },
        });
        if (written instanceof Promise) await written;
        state = { ...state, leaseUntil: 0 };
      }
    }
    const owed =
      state !== undefined &&
      (state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING');
    if (!state || state.status === 'PROCESSING' || owed || state.eTag !== object.eTag) {
      send(world, {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: 'us-east-1',
            eventTime: new Date(bootAt).toISOString(),
            eventName: 'ObjectCreated:Put',
            s3: {
              s3SchemaVersion: '1.0',
              configurationId: 'sim',
              bucket: { name: BUCKET },
              object: { key: encodeS3Key(object.key), eTag: object.eTag, size: object.size },
            },
          },
        ],
      });
    }
  }
  world.log.push('restart');
}
