import type { BenchResult } from '../bench.ts';
import { operatorCommandsMarkdown } from '../figures/operator-commands.ts';
import { describeMachine } from './machine.ts';
import { formatNumber as n, formatSummary as s } from './stats.ts';

/**
 * The summary printed at the end of a run: Markdown tables, so the same text reads in a terminal
 * and pastes into BENCHMARKS.md.
 */
export function renderSummary(result: BenchResult): string {
  const out: string[] = [];
  const table = (header: string[], rows: string[][]) => {
    out.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
    for (const row of rows) out.push(`| ${row.join(' | ')} |`);
    out.push('');
  };
  out.push(
    `### Run of ${result.startedAt} (profile ${result.profile}, ${Math.round(result.durationS / 60)} min)`,
    '',
  );
  out.push('```', ...describeMachine(result.machine), '```', '');

  if (result.goals.length > 0) {
    out.push('#### Goals');
    table(
      ['fig', 'goal', 'measured', 'met'],
      result.goals.map((g) => [
        String(g.figure),
        g.goal,
        g.measured,
        g.met === null ? '—' : g.met ? 'yes' : '**no**',
      ]),
    );
  }

  const e2e = result.figures.endToEnd;
  if (e2e) {
    out.push(
      `#### Figures 1 & 2 — small JSON files end to end (put → notification at an HTTP subscriber)`,
      '',
      `${e2e.files} files per burst × ${e2e.runs} runs per variant, ${e2e.putConcurrency} uploads in flight, invoker concurrency ${e2e.concurrency}; files of ${e2e.fileBytes.min}–${e2e.fileBytes.max} bytes. Unloaded: ${e2e.sequentialFiles} files one at a time. Medians over runs, (min–max).`,
      '',
    );
    table(
      [
        'handler',
        'files/s',
        'burst p50 ms',
        'burst p99 ms',
        'unloaded p50 ms',
        'unloaded p99 ms',
        'handler p50 ms',
        'requests/file',
        'failed',
      ],
      Object.entries(e2e.variants).map(([id, v]) => [
        id,
        s(v.filesPerSecond),
        s(v.burstLatencyP50Ms, '', 0),
        s(v.burstLatencyP99Ms, '', 0),
        s(v.unloadedLatencyP50Ms),
        s(v.unloadedLatencyP99Ms),
        n(v.handlerMs.p50),
        n(
          Object.entries(v.requestsPerFile)
            .filter(([op]) => op !== 's3:PUT')
            .reduce((sum, [, c]) => sum + c, 0),
          2,
        ),
        String(v.failedInvocations),
      ]),
    );
    if (e2e.speedupVsBaseline)
      out.push(`- Figure 1: eventline ÷ baseline files/s, per run: **${s(e2e.speedupVsBaseline, 'x', 2)}**`);
    if (e2e.speedupVsHardened)
      out.push(
        `- Figure 1: eventline ÷ the seed hardened the standard way (Powertools idempotency + DLQ) files/s, per run: **${s(e2e.speedupVsHardened, 'x', 2)}**`,
      );
    if (e2e.fractionOfRaw)
      out.push(`- Figure 2: eventline ÷ raw limit files/s, per run: **${s(e2e.fractionOfRaw, 'x', 2)}**`);
    if (e2e.fractionOfRawLedger) {
      out.push(
        `- eventline ÷ raw-ledger (the raw limit making eventline's 7 calls, no logic) files/s, per run: ${s(e2e.fractionOfRawLedger, 'x', 2)}`,
      );
    }
    out.push('');
  }

  const qp = result.figures.queuePath;
  if (qp) {
    const st = qp.settings;
    out.push(
      '#### Figure 8 — small JSON files through the local queue path (put → notification at an HTTP subscriber)',
      '',
      `queue-workers: the stack as \`npm start\` runs it by default (S3 → ingest queue → event source, batches of ${st.batchSize}, window ${st.maxBatchingWindowSeconds} s, ${st.maxConcurrency} pollers → worker instances, up to ${st.reservedConcurrency}, ${st.memoryMb} MB); direct-in-process: figures 1 and 2's path. ${qp.files} files per burst × ${qp.runs} runs per path, alternating, ${qp.putConcurrency} uploads in flight; unloaded: ${qp.sequentialFiles} files one at a time. Medians over runs, (min–max).`,
      '',
    );
    const paths = Object.entries(qp.paths);
    table(
      [
        'path',
        'files/s',
        'burst p50 ms',
        'burst p95 ms',
        'burst p99 ms',
        'unloaded p50 ms',
        'unloaded p95 ms',
        'requests/file',
        'failed',
        'batches (mean size), cold starts',
      ],
      paths.map(([id, p]) => [
        id,
        s(p.filesPerSecond),
        s(p.burstLatencyP50Ms, '', 0),
        s(p.burstLatencyP95Ms, '', 0),
        s(p.burstLatencyP99Ms, '', 0),
        s(p.unloadedLatencyP50Ms),
        s(p.unloadedLatencyP95Ms),
        n(
          Object.entries(p.requestsPerFile)
            .filter(([op]) => op !== 's3:PUT')
            .reduce((sum, [, c]) => sum + c, 0),
          2,
        ),
        String(p.failedInvocations),
        p.batches ? `${p.batches.count} (${n(p.batches.meanSize, 1)}), ${p.coldStarts ?? 0}` : '—',
      ]),
    );
    out.push(
      'CPU during the bursts (CPU s per burst; cores = CPU s ÷ wall s; shares of this pipeline’s CPU):',
      '',
    );
    const opt = (v: Parameters<typeof s>[0] | undefined, unit = '', digits = 2) =>
      v ? s(v, unit, digits) : 'n/a';
    const pct = (v: Parameters<typeof s>[0] | undefined) =>
      v ? s({ ...v, median: v.median * 100, min: v.min * 100, max: v.max * 100 }, '%', 0) : 'n/a';
    table(
      [
        'path',
        'main process CPU s',
        'instances CPU s',
        'other children CPU s',
        'main cores',
        'instances cores',
        'total cores',
        'CPU ms/file',
        'main share',
        'instances share',
        'whole machine busy cores',
        'instances (exited)',
      ],
      paths.map(([id, p]) => [
        id,
        s(p.cpu.mainS, '', 2),
        opt(p.cpu.instancesS),
        opt(p.cpu.otherChildrenS),
        s(p.cpu.mainCores, '', 2),
        opt(p.cpu.instancesCores),
        s(p.cpu.totalCores, '', 2),
        s(p.cpu.cpuMsPerFile, '', 1),
        pct(p.cpu.mainShare),
        pct(p.cpu.instancesShare),
        opt(p.cpu.machineBusyCores),
        `${p.cpu.instancesSeen} (${p.cpu.instancesExited})`,
      ]),
    );
    const services = [...new Set(paths.flatMap(([, p]) => Object.keys(p.requestsPerFileByService)))].sort();
    out.push('Edge requests per file by service (the upload included):', '');
    table(
      ['path', ...services, 'by operation'],
      paths.map(([id, p]) => [
        id,
        ...services.map((service) => n(p.requestsPerFileByService[service] ?? 0, 2)),
        Object.entries(p.requestsPerFile)
          .map(([op, c]) => `${op} ${n(c, 2)}`)
          .join(', '),
      ]),
    );
    if (qp.queueVsDirect)
      out.push(`- queue-workers ÷ direct-in-process files/s, per run: **${s(qp.queueVsDirect, 'x', 2)}**`);
    const queue = qp.paths['queue-workers'];
    const fig1 = result.figures.endToEnd?.variants.eventline;
    if (queue && fig1)
      out.push(
        `- queue-workers ÷ figure 1's eventline files/s (medians; not alternated with figure 1's runs): ${n(queue.filesPerSecond.median / fig1.filesPerSecond.median, 2)}x`,
      );
    out.push('');
  }

  const nd = result.figures.largeNdjson;
  if (nd) {
    out.push(
      `#### Figure 3 — large NDJSON (batch ${nd.batchSize}, parallelism ${nd.parallelism}, key \`${nd.keyTemplate}\`)`,
      '',
    );
    table(
      [
        'file',
        'records',
        'runs',
        'eventline rec/s',
        'raw rec/s',
        'eventline ÷ raw',
        'raw (eventline-shaped items) rec/s',
        'eventline ÷ shaped',
        'eventline peak RSS MB',
        'raw peak RSS MB',
        'DDB writes/record',
      ],
      nd.sizes.map((size) => [
        size.label,
        n(size.records, 0),
        String(size.runs),
        s(size.eventline.recordsPerSecond, '', 0),
        s(size.raw.recordsPerSecond, '', 0),
        s(size.fractionOfRaw, 'x', 2),
        size.rawShaped ? s(size.rawShaped.recordsPerSecond, '', 0) : '—',
        size.fractionOfRawShaped ? s(size.fractionOfRawShaped, 'x', 2) : '—',
        s(size.eventline.peakRssMb, '', 0),
        s(size.raw.peakRssMb, '', 0),
        n(size.eventline.writeRequestsPerRecord, 4),
      ]),
    );
    if (nd.rssGrowth !== undefined) {
      out.push(`- Peak RSS growth, largest ÷ smallest file: **${n(nd.rssGrowth, 2)}x**`);
    }
    const cpu = nd.sizes.at(-1);
    if (cpu) {
      out.push(
        `- CPU share at ${cpu.label} (1 = one core): eventline worker ${n(cpu.eventline.workerCpuShare.median, 2)}, stack (edge + emulators) ${n(cpu.eventline.stackCpuShare.median, 2)}; raw worker ${n(cpu.raw.workerCpuShare.median, 2)}, stack ${n(cpu.raw.stackCpuShare.median, 2)}`,
      );
    }
    out.push('');
  }

  const bundle = result.figures.bundle;
  if (bundle) {
    out.push(
      `#### Figure 4 — Lambda bundle (esbuild, ESM, minified, ${bundle.target}; ${bundle.runs} cold starts each, interleaved, on node ${bundle.node.version} from ${bundle.node.source})`,
      '',
    );
    table(
      ['bundle', 'size KiB', 'cold init ms', 'init CPU ms', 'process ms (spawn → exit)', 'RSS MB'],
      bundle.entries.map((e) => [
        e.name,
        e.bytes ? n(e.bytes / 1024, 0) : '—',
        s(e.initMs, '', 0),
        e.cpuMs ? s(e.cpuMs, '', 0) : '—',
        s(e.processMs, '', 0),
        s(e.rssMb, '', 0),
      ]),
    );
    out.push(
      `- eventline ÷ naive: size **${n(bundle.sizeRatio, 2)}x**, init **${s(bundle.initRatio, 'x', 2)}**, init CPU ${s(bundle.cpuRatio, 'x', 2)}; naive ÷ empty node init: ${s(bundle.naiveVsEmpty, 'x', 2)}`,
    );
    for (const v of bundle.variants) {
      out.push(
        `- variant “${v.name}” ÷ naive: size ${n(v.sizeRatio, 2)}x, init ${s(v.initRatio, 'x', 2)}, init CPU ${s(v.cpuRatio, 'x', 2)} — ${v.description}`,
      );
    }
    const top = bundle.entries.find((e) => e.name === 'eventline')?.topPackages;
    if (top)
      out.push(
        `- largest parts of the eventline bundle (KiB): ${top.map((p) => `${p.name} ${p.kib}`).join(', ')}`,
      );
    out.push('');
  }

  const requests = result.figures.requests;
  if (requests) {
    out.push('#### Figure 5 — requests per file and per record, counted at the edge', '');
    const variants = Object.keys(requests.perFile);
    const ops = [...new Set(variants.flatMap((v) => Object.keys(requests.perFile[v]!)))].sort();
    table(
      ['service:operation (per small file)', ...variants],
      ops.map((op) => [
        op === 's3:PUT' ? 's3:PUT (the uploader)' : op,
        ...variants.map((v) => n(requests.perFile[v]![op] ?? 0, 3)),
      ]),
    );
    if (requests.perRecord) {
      const per = requests.perRecord;
      const recordOps = [...new Set([...Object.keys(per.eventline), ...Object.keys(per.raw)])].sort();
      table(
        [`service:operation (per record, ${per.file})`, 'eventline', 'raw loop'],
        recordOps.map((op) => [op, n(per.eventline[op] ?? 0, 6), n(per.raw[op] ?? 0, 6)]),
      );
    }
  }

  const emulators = result.figures.emulators;
  if (emulators) {
    out.push(
      `#### Figure 7 — the emulators alone beside moto_server (SDK v3, ${emulators.requests} requests per measurement × ${emulators.rounds} rounds, ${emulators.payloadBytes}-byte bodies)`,
      '',
      `eventline: ${emulators.targets.eventline}. moto: ${emulators.targets.moto}. Requests/s, median over rounds (min–max); the ratio is taken within each round.`,
      '',
    );
    table(
      [
        'operation',
        'in flight',
        'eventline req/s',
        'moto req/s',
        'eventline ÷ moto',
        '≥ 2x',
        'failed (eventline, moto)',
      ],
      emulators.operations.map((o) => [
        o.operation,
        String(o.concurrency),
        s(o.eventline, '', 0),
        s(o.moto, '', 0),
        s(o.ratio, 'x', 2),
        o.ratio.median >= 2 ? 'yes' : '**no**',
        `${o.failed.eventline}, ${o.failed.moto}`,
      ]),
    );
    for (const o of emulators.operations) {
      for (const [target, message] of Object.entries(o.firstErrors ?? {}))
        out.push(`- ${o.operation} ×${o.concurrency}, ${target}'s first failure: ${message}`);
    }
    out.push('');
  }

  const formats = result.figures.decodeFormats;
  if (formats) {
    out.push(
      `#### Figure 9 — log and Parquet decoding beside a raw loop with the same library (in memory, the same items built, ${formats.runs} runs)`,
      '',
    );
    table(
      ['format', 'file', 'records', 'MB', 'eventline records/s', 'raw loop records/s', 'eventline ÷ raw'],
      formats.formats.map((f) => [
        f.format,
        f.file,
        String(f.records),
        n(f.mb, 2),
        s(f.eventlinePerSecond, '', 0),
        s(f.rawPerSecond, '', 0),
        s(f.ratio, 'x', 2),
      ]),
    );
  }

  const memory = result.figures.workloadMemory;
  if (memory) {
    out.push(
      '#### Figure 10 — peak RSS of the handler (a child process) on a small and a large file per format',
      '',
      '`log` and `parquet` routes drop every record in their transform: this is the read + decompress + decode stage (the write stage is figure 3). Live memory: one more run forcing a GC every 0.1 s, the largest heap used + external after one (what the process holds; peak RSS also counts the garbage V8 lets pile up before collecting, more the longer a run allocates). `object` beside a raw GetObject + SHA-256 loop, runs alternating.',
      '',
      memory.memoryMb > 0
        ? `The child runs with the heap flags Lambda's Node.js runtime passes a ${memory.memoryMb} MB function (as the local stack's instances do): \`${memory.nodeFlags.join(' ')}\`.`
        : 'The child runs as plain `node` (no heap flags: V8 sizes the heap for this machine).',
      '',
    );
    table(
      [
        'format',
        'file',
        'size',
        'stored',
        'runs',
        'peak RSS MB',
        'live MB',
        'MB/s',
        'raw loop MB/s',
        'eventline ÷ raw',
        'RSS growth (goal)',
      ],
      memory.workloads.flatMap((w) =>
        w.sizes.map((z, i) => [
          w.workload,
          w.what,
          z.label,
          `${n(z.objectBytes / 1e6, 1)} MB`,
          String(z.runs),
          s(z.peakRssMb, '', 0),
          z.liveMb === undefined ? '–' : n(z.liveMb, 0),
          s(z.mbPerSecond, '', 0),
          z.raw ? s(z.raw.mbPerSecond, '', 0) : '–',
          z.fractionOfRaw ? s(z.fractionOfRaw, 'x', 2) : '–',
          i === w.sizes.length - 1
            ? `${n(w.rssGrowth, 2)}x (≤ ${w.goalRssGrowth}x)${w.rssGrowthFromMiddle ? `; ${n(w.rssGrowthFromMiddle, 2)}x from ${w.sizes[1]!.label}` : ''}`
            : '',
        ]),
      ),
    );
  }

  const operator = result.figures.operatorCommands;
  if (operator) out.push(...operatorCommandsMarkdown(operator));

  const recipes = result.figures.recipes;
  if (recipes) {
    out.push(
      "#### Figure 11 — each recipe on its own generator's sample (its config, a fresh local stack, the function in process)",
      '',
      'From the first PUT to the last outcome in the ledger (wall time, medians over runs); requests per file through the edge, the harness’s PUTs and polling excluded.',
      '',
    );
    table(
      ['recipe', 'sample', 'files', 'records stored', 'files/s', 'records/s', 'requests per file'],
      recipes.recipes.map((r) => [
        r.recipe,
        r.sample,
        String(r.files),
        String(r.records),
        s(r.filesPerSecond, '', 1),
        s(r.recordsPerSecond, '', 0),
        Object.entries(r.requestsPerFile)
          .map(([op, x]) => `${op} ${x}`)
          .join(', '),
      ]),
    );
  }

  const cost = result.figures.cost;
  if (cost) {
    out.push(
      `#### Figure 6 — cost per million small files on AWS (${cost.prices.region})`,
      '',
      `Prices: ${cost.prices.asOf}.`,
      '',
    );
    for (const estimate of [cost.eventline, cost.baseline, ...(cost.hardened ? [cost.hardened] : [])]) {
      table(
        [`${estimate.name}`, 'per file', 'unit', '$ per million files'],
        [
          ...estimate.lines.map((l) => [l.item, n(l.perFile, 6), l.unit, n(l.usdPerMillion, 4)]),
          ['**total**', '', '', `**${n(estimate.usdPerMillionFiles, 2)}**`],
        ],
      );
      out.push(`Assumptions: ${estimate.assumptions.join('; ')}.`, '');
    }
    out.push(
      `- eventline ÷ baseline: **${n(cost.ratio, 2)}x**; eventline at 128 MB would be $${n(cost.eventlineAt128Mb, 2)} per million files.`,
      ...(cost.hardened
        ? [
            `- eventline ÷ the seed hardened the standard way: **${n(cost.eventline.usdPerMillionFiles / cost.hardened.usdPerMillionFiles, 2)}x**.`,
          ]
        : []),
      '',
    );
  }

  const notify = result.figures.notifyPolicies;
  if (notify) {
    out.push(
      `#### Figure 6 — notifications per notify policy (${notify.filesPerPolicy} small IoT files each, one in ${notify.failEvery} failing; the digest every ${notify.digestSeconds} s)`,
      '',
    );
    table(
      [
        'policy',
        'notifications per 1,000 files',
        'each file counted once',
        'notifications $/M files',
        'eventline total $/M files',
      ],
      notify.policies.map((p) => [
        p.policy,
        n(p.notificationsPerThousandFiles, 1),
        p.countedOnce ? 'yes' : `**no**: ${p.problems.slice(0, 2).join('; ')}`,
        n(p.notifyUsdPerMillionFiles, 4),
        p.usdPerMillionFiles === undefined ? '–' : n(p.usdPerMillionFiles, 2),
      ]),
    );
    out.push(
      "- A digest's notifications cost next to nothing; its outcome write is a two-item transaction (+3 write units a file), counted in both $ columns.",
      '',
    );
  }
  return out.join('\n');
}
