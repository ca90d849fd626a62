import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListMessageMoveTasksCommand } from '@aws-sdk/client-sqs';
import { ATTENTION_STATES, type AttentionState, errorMessage, type FileState } from '@eventline/core';
import type { Command } from 'commander';
import { type Cli, collect, positive, ROUTE_HELP } from '../context.ts';
import { attentionCount, attentionStates, fileStates, newestFirst } from '../ledger.ts';
import { emit, table } from '../output.ts';
import { type Depth, depthOf, sqsFailure } from '../queues.ts';
import type { Queue, Target } from '../resources.ts';
import { filesTable, fileView } from './ledger.ts';

/**
 * `status`: alarms in ALARM, the ingest queue's depth and age, the dead-letter queues, and the outcomes
 * that need a look (FAILED, owing a step, retried or continued) per route with the newest of them,
 * from the ledger's sparse `attention` index: a few reads whatever the table's size.
 */

type Counts = { route: string } & Record<AttentionState, string>;

/** Per route, how many outcomes are in each attention state, and the newest `last` of them all. */
async function attention(
  target: Target,
  routes: string[],
  last: number,
): Promise<{ counts: Counts[]; newest: FileState[] } | undefined> {
  const counts: Counts[] = [];
  for (const route of routes) {
    const row = { route } as Counts;
    for (const state of ATTENTION_STATES) {
      const counted = await attentionCount(target, route, state);
      if (!counted) return undefined;
      row[state] = `${counted.count}${counted.more ? '+' : ''}`;
    }
    counts.push(row);
  }
  const newest: FileState[] = [];
  for (const state of ATTENTION_STATES) {
    const found = await attentionStates(target, routes, state, last);
    if (!found) return undefined;
    newest.push(...found);
  }
  return { counts, newest: newest.sort(newestFirst).slice(0, last) };
}

interface QueueStatus extends Partial<Depth> {
  queue: Queue['label'];
  url?: string;
  oldestAgeSeconds?: string;
  /** The events DLQ's redrive (`dlq replay`: a message move task) while it runs. */
  redrive?: { moved: number; toMove?: number; startedAt?: string };
  note?: string;
}

/** The running message move task out of a dead-letter queue, if any (ListMessageMoveTasks, newest first). */
async function runningRedrive(target: Target, queue: Queue): Promise<QueueStatus['redrive']> {
  const { Results = [] } = await target.clients.sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: queue.arn, MaxResults: 1 }),
  );
  const task = Results[0];
  if (task?.Status !== 'RUNNING') return undefined;
  return {
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    ...(task.ApproximateNumberOfMessagesToMove !== undefined
      ? { toMove: task.ApproximateNumberOfMessagesToMove }
      : {}),
    ...(task.StartedTimestamp !== undefined
      ? { startedAt: new Date(task.StartedTimestamp).toISOString() }
      : {}),
  };
}

async function alarmsInAlarm(
  target: Target,
): Promise<
  { alarms: Array<{ name: string; reason: string; since?: string }>; total: number } | { note: string }
> {
  if (target.local) return { note: 'no CloudWatch locally: alarms exist only on a deployed stack (--stack)' };
  try {
    const alarms: Array<{ name: string; reason: string; since?: string }> = [];
    let total = 0;
    let token: string | undefined;
    do {
      // CloudFormation names the stack's alarms <stack>-Monitoring<id>-<suffix> (the Monitoring
      // construct): a bare <stack> prefix would also take in the alarms of <stack>-staging.
      const page = await target.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${target.stackName}-Monitoring`,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      total += page.MetricAlarms?.length ?? 0;
      for (const a of page.MetricAlarms ?? []) {
        if (a.StateValue !== 'ALARM') continue;
        alarms.push({
          name: a.AlarmName ?? '?',
          reason: a.StateReason ?? '',
          ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
        });
      }
      token = page.NextToken;
    } while (token);
    return { alarms, total };
  } catch (error) {
    return { note: `DescribeAlarms failed: ${errorMessage(error)}` };
  }
}

/** ApproximateAgeOfOldestMessage, CloudWatch's only (SQS's API has no age): the last 5-minute maximum. */
async function oldestAge(target: Target, queue: Queue): Promise<string | undefined> {
  if (target.local) return undefined;
  const name = queue.url.split('/').pop() ?? '';
  const end = new Date();
  const { MetricDataResults } = await target.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - 15 * 60_000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: name }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  const value = MetricDataResults?.[0]?.Values?.[0];
  return value === undefined ? undefined : String(value);
}

export function register(program: Command, cli: Cli): void {
  program
    .command('status')
    .description(
      'alarms in ALARM, ingest queue depth and oldest age, dead-letter queue depths, the outcomes needing a look (FAILED, owing a step, retried) per route',
    )
    .option('-n, --last <n>', 'how many recent outcomes', positive, 5)
    .option('--route <id>', ROUTE_HELP, collect, [])
    .action(async (options: { last: number; route: string[] }) => {
      const target = await cli.target();
      const alarms = await alarmsInAlarm(target);
      const queues: QueueStatus[] = [];
      for (const label of ['ingest', 'files', 'events', 'delivery'] as const) {
        const queue = target.queues[label];
        if (!queue) {
          if (label !== 'delivery') queues.push({ queue: label, note: target.missing[label] ?? 'not there' });
          continue;
        }
        const status: QueueStatus = { queue: label, url: queue.url, ...(await depthOf(target, queue)) };
        if (label === 'ingest') {
          const age = await oldestAge(target, queue).catch((error: unknown) => {
            status.note = `GetMetricData failed: ${errorMessage(error)}`;
            return undefined;
          });
          if (age !== undefined) status.oldestAgeSeconds = age;
          else if (target.local) status.note = 'oldest age: CloudWatch only (not local)';
        } else if (label === 'events') {
          // The events DLQ is redriven by a move task; eventline's letters ('files') one by one.
          try {
            const redrive = await runningRedrive(target, queue);
            if (redrive) {
              status.redrive = redrive;
              status.note = `redrive running: ${redrive.moved} of ${redrive.toMove ?? '?'} moved back`;
            }
          } catch (error) {
            status.note = `ListMessageMoveTasks failed: ${sqsFailure('ListMessageMoveTasks', error)}`;
          }
        }
        queues.push(status);
      }
      const routes = await cli.routeIds(options.route);
      const found = await attention(target, routes, options.last);
      let recent: FileState[] = [];
      if (!found) {
        // A local table made before the index: the old way, the newest outcomes of a full scan.
        cli.out.progress(
          'the ledger table has no "attention" index: reading the whole table for the last outcomes',
        );
        recent = (await fileStates(target, cli.out.progress)).sort(newestFirst).slice(0, options.last);
      }
      const view = {
        target: target.where,
        mode: target.mode,
        alarms,
        queues,
        ...(found
          ? { attention: { counts: found.counts, newest: found.newest.map(fileView) } }
          : { recent: recent.map(fileView) }),
      };
      emit(cli.out, view, () => {
        const lines = [`${target.where} (${target.mode} mode)`, ''];
        if ('note' in alarms) lines.push(`alarms: ${alarms.note}`);
        else if (alarms.total === 0)
          lines.push(`alarms: none found (no alarm named ${target.stackName}-Monitoring…)`);
        else if (alarms.alarms.length === 0) lines.push(`alarms: none of ${alarms.total} in ALARM`);
        else {
          lines.push(`alarms in ALARM: ${alarms.alarms.length}`);
          lines.push(
            table(
              ['ALARM', 'SINCE', 'REASON'],
              alarms.alarms.map((a) => [a.name, a.since, a.reason]),
            ).trimEnd(),
          );
        }
        lines.push('');
        lines.push(
          table(
            ['QUEUE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'OLDEST (s)', 'NOTE'],
            queues.map((q) => [
              q.queue,
              q.visible ?? '-',
              q.inFlight ?? '-',
              q.delayed ?? '-',
              q.oldestAgeSeconds ?? '-',
              q.note,
            ]),
          ).trimEnd(),
        );
        lines.push('');
        if (found) {
          lines.push(
            table(
              ['ROUTE', 'FAILED', 'OWES A STEP', 'RETRIED/CONTINUED'],
              found.counts.map((c) => [c.route, c.FAILED, c.OWES, c.PROCESSING]),
            ).trimEnd(),
          );
          lines.push('');
          lines.push(
            found.newest.length === 0
              ? 'nothing needs a look: no file FAILED, owes a step, or is being retried'
              : `needing a look, newest first:\n${filesTable(found.newest).trimEnd()}`,
          );
        } else
          lines.push(
            recent.length === 0 ? 'no outcomes yet' : `last outcomes:\n${filesTable(recent).trimEnd()}`,
          );
        return `${lines.join('\n')}\n`;
      });
    });
}
