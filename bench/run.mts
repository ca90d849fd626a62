import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type FigureNumber, type Profile, runBench } from './bench.ts';
import { Progress } from './lib/progress.ts';
import { renderSummary } from './lib/report.ts';

/**
 * npm run bench [-- options]
 *   --quick | --smoke      smaller profiles (default: full, about 15 minutes on 2 cores, figure 7 up to 15 more,
 *                          figure 8 about 3 more)
 *   --only 1,3             only these figures (5 and 6 are derived from 1-3, 6 adds notifications per notify policy; 7 is the emulators beside moto;
 *                          8 is the local queue path with the CPU of instances and emulators; 9 is the log
 *                          and parquet decoders beside raw loops with the same libraries, about a minute; 10 is peak RSS
 *                          on small and large log, Parquet and object files, 1 GB and 5 GB in full, about 15 minutes;
 *                          11 is each recipe on its own generator's sample, about 2 minutes; 12 is the
 *                          operator's commands on a big ledger beside a full Scan, 1,000,000 items in full,
 *                          7 to 25 minutes, most of it loading)
 *   --items N              figure 12's ledger size (default: 1,000,000 in full, 100,000 quick; or
 *                          EVENTLINE_BENCH_ITEMS)
 *   --with-1gb             add the 1 GiB NDJSON file to figure 3 (about an hour more)
 *   --sizes 10,100         figure 3's sizes in MiB
 *   --files N --runs N     figure 1/2 and 8 burst size and runs
 *   --out FILE             results JSON (default bench/results/latest.json)
 *   --markdown FILE        also write the summary tables to FILE
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    'with-1gb': { type: 'boolean', default: false },
    sizes: { type: 'string' },
    files: { type: 'string' },
    runs: { type: 'string' },
    items: { type: 'string' },
    out: { type: 'string', default: 'bench/results/latest.json' },
    markdown: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  const source = await import('node:fs').then((fs) => fs.readFileSync(new URL(import.meta.url), 'utf8'));
  process.stdout.write(`${/\/\*\*([\s\S]*?)\*\//.exec(source)?.[1]?.replace(/^ \* ?/gm, '') ?? ''}\n`);
  process.exit(0);
}

const numbers = (text: string | undefined, what: string): number[] | undefined => {
  if (text === undefined) return undefined;
  const list = text.split(',').map((part) => Number(part.trim()));
  if (list.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new Error(`--${what}: expected positive numbers separated by commas, got "${text}"`);
  }
  return list;
};

const profile: Profile = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
const figures = (numbers(values.only, 'only') ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) as FigureNumber[];
if (figures.some((f) => ![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].includes(f)))
  throw new Error('--only: figures are 1 to 12');
const items = values.items ?? process.env.EVENTLINE_BENCH_ITEMS;

const result = await runBench({
  profile,
  figures,
  with1Gb: values['with-1gb'],
  ...(values.sizes ? { sizesMb: numbers(values.sizes, 'sizes')! } : {}),
  ...(values.files ? { files: numbers(values.files, 'files')![0]! } : {}),
  ...(values.runs ? { runs: numbers(values.runs, 'runs')![0]! } : {}),
  ...(items ? { operatorItems: numbers(items, 'items')![0]! } : {}),
  out: values.out,
  progress: new Progress(),
});
const summary = renderSummary(result);
process.stdout.write(`\n${summary}\n`);
if (values.markdown) await writeFile(values.markdown, `${summary}\n`);
process.stderr.write(`results: ${values.out}\n`);
