import { type DropDecision, describeDrop, dropDecision, errorMessage, redriveEvent } from '@eventline/core';
import { type Command, Option } from 'commander';
import type { Cli } from '../context.ts';
import { type DropRecord, operator, outcomeOf, recordDrop } from '../decisions.ts';
import { type Letter, letterOf, objectGone } from '../letters.ts';
import { emit, table } from '../output.ts';
import { depthOf, peek, release, remove, startMove } from '../queues.ts';
import { senderFor } from '../redrive.ts';
import type { Queue, Target } from '../resources.ts';

/**
 * `dlq list | replay | drop` over SQS: eventline's own dead letters (`files`) and the raw events
 * that never reached an outcome (`events`). Against a local stack without SQS queues (before the
 * local SQS edge) the local admin API serves them as before.
 */

type Which = 'files' | 'events' | 'all';

const queuesOf = (target: Target, which: Which): Queue[] =>
  (['files', 'events'] as const)
    .filter((label) => which === 'all' || which === label)
    .map((label) => target.queues[label])
    .filter((q): q is Queue => q !== undefined);

/** The local stack before SQS: its admin API keeps the dead letters. */
const adminPath = (target: Target) => target.local && !target.queues.files;

function missingQueues(target: Target, which: Which): void {
  for (const label of ['files', 'events'] as const) {
    if ((which === 'all' || which === label) && !target.queues[label]) {
      throw new Error(
        `the ${label} dead-letter queue of ${target.where} is not there: ${target.missing[label]}`,
      );
    }
  }
}

export interface ReplayResult {
  id: string;
  queue: string;
  key?: string;
  status: 'redriven' | 'moving' | 'gone' | 'error' | 'dropped' | 'skipped';
  reason?: string;
  taskHandle?: string;
}

const letterView = ({ message: _m, object: _o, event: _e, ...rest }: Letter) => rest;

/**
 * Re-drives one letter; the letter is deleted once its event is on its way (or its object is gone).
 * A letter that cannot be replayed is reported as an error and made visible again at once: held
 * for the replay, it would otherwise be missing from the queue for the whole hold.
 */
async function replayLetter(
  target: Target,
  queue: Queue,
  letter: Letter,
  includeDropped: boolean,
): Promise<ReplayResult> {
  const result = await redriveLetter(target, queue, letter, includeDropped);
  if (result.status === 'error' || result.status === 'skipped') {
    try {
      await release(target, queue, [letter.message]);
    } catch (error) {
      result.reason = `${result.reason}; and the letter could not be released (it stays hidden until its hold ends): ${errorMessage(error)}`;
    }
  }
  return result;
}

async function redriveLetter(
  target: Target,
  queue: Queue,
  letter: Letter,
  includeDropped: boolean,
): Promise<ReplayResult> {
  const base = { id: letter.id, queue: queue.label, ...(letter.key ? { key: letter.key } : {}) };
  try {
    if (queue.label === 'files') {
      if (!letter.object) return { ...base, status: 'error', reason: `nothing to replay: ${letter.reason}` };
      if (!includeDropped) {
        // An operator dropped this failure before (another letter of it, sent twice): their word holds.
        // A ledger that cannot be read does not hold the replay up: it is what the operator asked for.
        const state = await outcomeOf(target, letter.object.bucket, letter.object.key).catch(() => undefined);
        const decision = state && dropDecision(state);
        if (decision)
          return {
            ...base,
            status: 'skipped',
            reason: `${describeDrop(decision)} (--include-dropped replays it)`,
          };
      }
      const gone = await objectGone(target, letter.object);
      if (gone) {
        await remove(target, queue, letter.message);
        return { ...base, status: 'gone', reason: gone };
      }
      // As the local stack replays: the file is processed again even though the ledger says FAILED.
      await senderFor(target, 'dlq replay').send([redriveEvent(letter.object, 'replay')]);
    } else {
      if (typeof letter.event !== 'object' || letter.event === null) {
        return { ...base, status: 'error', reason: 'the message is not an event' };
      }
      await senderFor(target, 'dlq replay').send([letter.event as Record<string, unknown>]);
    }
    await remove(target, queue, letter.message);
    return { ...base, status: 'redriven' };
  } catch (error) {
    return { ...base, status: 'error', reason: errorMessage(error) };
  }
}

const resultsTable = (results: ReplayResult[]) =>
  table(
    ['ID', 'QUEUE', 'KEY', 'STATUS', 'REASON'],
    results.map((r) => [r.id, r.queue, r.key ?? '-', r.status, r.reason ?? r.taskHandle]),
  );

export function register(program: Command, cli: Cli): void {
  const dlq = program
    .command('dlq')
    .description(
      "the dead-letter queues: eventline's own letters (files) and raw events without an outcome (events)",
    );
  const queueOption = () =>
    new Option('--queue <queue>', 'which dead-letter queue')
      .choices(['files', 'events', 'all'])
      .default('all');

  dlq
    .command('list')
    .description('list dead letters with their reasons')
    .addOption(queueOption())
    .action(async (options: { queue: Which }) => {
      const target = await cli.target();
      if (adminPath(target)) {
        const { letters } = await cli.api<{
          letters: Array<{ id: string; code: string; reason: string; object?: { key: string } }>;
        }>('/_eventline/dlq');
        const view = letters.map((l) => ({
          id: l.id,
          queue: 'files',
          key: l.object?.key,
          code: l.code,
          reason: l.reason,
        }));
        emit(cli.out, { letters: view }, () =>
          view.length === 0
            ? 'the dead-letter queue is empty\n'
            : table(
                ['ID', 'QUEUE', 'KEY', 'CODE', 'REASON'],
                view.map((l) => [l.id, l.queue, l.key ?? '-', l.code, l.reason]),
              ),
        );
        return;
      }
      missingQueues(target, options.queue);
      const letters: Letter[] = [];
      for (const queue of queuesOf(target, options.queue)) {
        const messages = await peek(target, queue, { progress: cli.out.progress });
        letters.push(...messages.map((m) => letterOf(queue, m)));
        await release(target, queue, messages);
      }
      emit(cli.out, { letters: letters.map(letterView) }, () =>
        letters.length === 0
          ? 'the dead-letter queues are empty\n'
          : table(
              ['ID', 'QUEUE', 'KEY', 'CODE', 'AT', 'REASON'],
              letters.map((l) => [l.id, l.queue, l.key ?? '-', l.code, l.at, l.reason]),
            ),
      );
    });

  dlq
    .command('replay')
    .description(
      're-drive dead letters after a fix: one by id, or all (the events queue in queue mode: an SQS redrive back to the ingest queue)',
    )
    .argument('[id]', 'one letter id (see dlq list)')
    .addOption(queueOption())
    .option('--include-dropped', 'replay letters of files an operator dropped before (dlq drop) too')
    .action(async (id: string | undefined, options: { queue: Which; includeDropped?: boolean }) => {
      const target = await cli.target();
      if (adminPath(target)) {
        const { results } = await cli.api<{
          results: Array<{ id: string; key?: string; status: string; reason?: string }>;
        }>('/_eventline/dlq/replay', { method: 'POST', body: id ? { id } : {} });
        const view = results.map((r) => ({ ...r, queue: 'files' }));
        emit(cli.out, { results: view }, () =>
          view.length === 0 ? 'nothing to replay\n' : resultsTable(view as ReplayResult[]),
        );
        if (results.some((r) => r.status === 'failed' || r.status === 'error')) process.exitCode = 1;
        return;
      }
      missingQueues(target, options.queue);
      const results: ReplayResult[] = [];
      let found = false;
      for (const queue of queuesOf(target, options.queue)) {
        const ingest = target.queues.ingest;
        if (!id && queue.label === 'events' && target.mode === 'queue' && ingest) {
          // An empty queue has nothing to move: no task (its handle would only puzzle).
          const depth = await depthOf(target, queue);
          if ([depth.visible, depth.inFlight, depth.delayed].every((n) => Number(n) === 0)) continue;
          // SQS's own redrive: every raw event back where it came from, in the background.
          const taskHandle = await startMove(target, queue, ingest);
          const waiting = Number(depth.visible) + Number(depth.inFlight) + Number(depth.delayed);
          results.push({
            id: '*',
            queue: 'events',
            status: 'moving',
            reason: `${waiting} event(s) moving back to the ingest queue in the background (an SQS message move task)`,
            ...(taskHandle ? { taskHandle } : {}),
          });
          found = true;
          continue;
        }
        // Held long enough to replay them one by one; the others are released at once.
        const messages = await peek(target, queue, { holdSeconds: 900, progress: cli.out.progress });
        const chosen = messages.filter((m) => !id || m.MessageId === id);
        if (chosen.length > 0) found = true;
        await release(
          target,
          queue,
          messages.filter((m) => !chosen.includes(m)),
        );
        for (const message of chosen)
          results.push(
            await replayLetter(target, queue, letterOf(queue, message), options.includeDropped ?? false),
          );
      }
      if (id && !found)
        throw new Error(`no dead letter "${id}" in ${target.where} (see: npx eventline dlq list)`);
      emit(cli.out, { results }, () =>
        results.length === 0
          ? `nothing to replay: the ${options.queue === 'all' ? 'dead-letter queues are' : `${options.queue} dead-letter queue is`} empty\n`
          : resultsTable(results),
      );
      if (results.some((r) => r.status === 'error')) process.exitCode = 1;
    });

  dlq
    .command('drop')
    .description(
      'end one dead letter without replaying it: its file keeps its FAILED outcome, and the ledger records who dropped it, when and why (reconcile --fix and dlq replay then leave it alone)',
    )
    .argument('<id>', 'the letter id (see dlq list)')
    .option('--reason <text>', "why (recorded in the ledger; default: the letter's own reason)")
    .option('--by <name>', 'who decides (recorded in the ledger; default: $USER)')
    .action(async (id: string, options: { reason?: string; by?: string }) => {
      const target = await cli.target();
      if (adminPath(target)) {
        // The local stack records the decision on the file's outcome, as below on AWS.
        const { dropped } = await cli.api<{
          dropped: {
            id: string;
            key?: string;
            reason?: string;
            decision?: DropDecision;
            notRecorded?: string;
          };
        }>('/_eventline/dlq/drop', {
          method: 'POST',
          body: { id, by: operator(options.by), ...(options.reason ? { reason: options.reason } : {}) },
        });
        const view = {
          id: dropped.id,
          queue: 'files',
          key: dropped.key,
          status: 'dropped',
          reason: dropped.reason,
          ...(dropped.decision ? { decision: dropped.decision } : {}),
          ...(dropped.notRecorded ? { notRecorded: dropped.notRecorded } : {}),
        };
        emit(
          cli.out,
          { dropped: view },
          () =>
            `dropped\t${dropped.id}\t${dropped.key ?? '-'}\t${dropped.reason ?? ''}\n${
              dropped.decision
                ? `recorded in the ledger: ${describeDrop(dropped.decision)}\n`
                : dropped.notRecorded
                  ? `not recorded in the ledger: ${dropped.notRecorded}\n`
                  : ''
            }`,
        );
        return;
      }
      missingQueues(target, 'all');
      for (const queue of queuesOf(target, 'all')) {
        const messages = await peek(target, queue);
        const message = messages.find((m) => m.MessageId === id);
        await release(
          target,
          queue,
          messages.filter((m) => m !== message),
        );
        if (!message) continue;
        const letter = letterOf(queue, message);
        // The decision first: a letter deleted but not recorded would be re-driven by reconcile --fix.
        const record: DropRecord = letter.object
          ? await recordDrop(target, letter.object, {
              by: operator(options.by),
              at: new Date().toISOString(),
              reason: options.reason ?? letter.reason,
              letter: letter.id,
            })
          : { recorded: false, note: 'a raw event, not a file outcome' };
        await remove(target, queue, message);
        const view = {
          ...letterView(letter),
          status: 'dropped',
          ...(record.recorded ? { decision: record.decision } : { notRecorded: record.note }),
        };
        emit(
          cli.out,
          { dropped: view },
          () =>
            `dropped\t${letter.id}\t${letter.key ?? '-'}\t${letter.reason}\n${
              record.recorded
                ? `recorded in the ledger: ${describeDrop(record.decision)}\n`
                : `not recorded in the ledger: ${record.note}\n`
            }`,
        );
        return;
      }
      throw new Error(`no dead letter "${id}" in ${target.where} (see: npx eventline dlq list)`);
    });
}
