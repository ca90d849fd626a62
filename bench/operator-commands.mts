/**
 * npx tsx bench/operator-commands.mts [--items 1000000] [--objects 10000] [--failed 1000] [--concurrency 16]
 *
 * Figure 10 of `npm run bench` (bench/figures/operator-commands.ts) alone, at any scale: the
 * operator's commands on a big ledger, wall time and read units each, beside the full Scan.
 */
import { parseArgs } from 'node:util';
import { operatorCommandsMarkdown, runOperatorCommands } from './figures/operator-commands.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    objects: { type: 'string', default: '10000' },
    failed: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
  },
});
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const result = await runOperatorCommands({
  items: Number(values.items),
  objects: Number(values.objects),
  failed: Number(values.failed),
  concurrency: Number(values.concurrency),
  say: (line) => process.stderr.write(`${line}\n`),
});
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
process.stdout.write(`\n${operatorCommandsMarkdown(result, `${when} UTC`).join('\n')}`);
