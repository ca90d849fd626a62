import { readFileSync } from 'node:fs';
import { buildProgram } from '@eventline/cli';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configOf, synthesize } from '../infra/support.ts';

/**
 * Every `npx eventline ...` the alarm descriptions (both trigger modes) and the runbooks cite is a
 * real command of the CLI, with options it has: what an on-call engineer pastes from an alarm works.
 */

const CITED =
  /npx eventline ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)((?: --?[a-z][a-z-]*(?: <[a-z-]+>|(?= |$|[`.,;)]))?)*)/g;

/** Resolves `words` to a command and checks each option against it and the global ones. */
function problemsOf(program: Command, cited: string): string[] {
  const tokens = cited.split(/\s+/).filter(Boolean);
  let command: Command = program;
  let i = 0;
  // Words name commands while there are subcommands to name; after that they are arguments.
  for (; i < tokens.length && !tokens[i]?.startsWith('-') && command.commands.length > 0; i++) {
    const next = command.commands.find((c) => c.name() === tokens[i]);
    if (!next) return [`"${cited}": no command "${tokens[i]}" under "${command.name()}"`];
    command = next;
  }
  if (command.commands.length > 0) return [`"${cited}": "${command.name()}" needs a subcommand`];
  const known = new Set(
    [...program.options, ...command.options].flatMap((o) => [o.long, o.short].filter(Boolean) as string[]),
  );
  return tokens
    .slice(i)
    .filter((t) => t.startsWith('-') && !known.has(t))
    .map((t) => `"${cited}": "${command.name()}" has no option ${t}`);
}

function citations(text: string): string[] {
  return [...text.matchAll(CITED)].map((m) => `${m[1]}${(m[2] ?? '').replace(/ <[a-z-]+>/g, '')}`.trim());
}

describe('the commands cited to operators exist', () => {
  const { program } = buildProgram();

  it.each(['queue', 'direct'] as const)('in the alarm descriptions (%s mode)', (mode) => {
    const s = synthesize(configOf({ alarms: { notify: 'nowhere' }, trigger: { mode } }));
    const descriptions = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmDescription as string,
    );
    const cited = descriptions.flatMap(citations);
    expect(cited.length).toBeGreaterThanOrEqual(descriptions.length);
    expect(cited.flatMap((c) => problemsOf(program, c))).toEqual([]);
    // Each description names the stack the commands act on.
    for (const d of descriptions.filter((x) => x.includes('npx eventline'))) {
      expect(d).toMatch(/npx eventline [^.]* --stack EventlineTest/);
    }
  });

  it.each(['packages/infra/README.md', 'README.md'])('in %s', (file) => {
    const cited = citations(readFileSync(file, 'utf8'));
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.flatMap((c) => problemsOf(program, c))).toEqual([]);
  });

  it.each(['packages/infra/README.md', 'README.md'])('and every `npm run` script %s cites exists', (file) => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const cited = [...readFileSync(file, 'utf8').matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]);
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.filter((name) => !scripts.includes(name ?? ''))).toEqual([]);
  });

  it('and a command that does not exist is caught', () => {
    expect(problemsOf(program, 'dlq redrive --stack')).toEqual([
      '"dlq redrive --stack": no command "redrive" under "dlq"',
    ]);
    expect(problemsOf(program, 'reconcile --repair')).toEqual([
      '"reconcile --repair": "reconcile" has no option --repair',
    ]);
  });
});

describe('the stack outputs the CLI resolves --stack from', () => {
  it.each(['queue', 'direct'] as const)(
    'are all in the template (%s mode, with a subscription)',
    async (mode) => {
      const { STACK_OUTPUTS } = await import('@eventline/cli');
      const s = synthesize(
        configOf({
          alarms: { notify: 'nowhere' },
          trigger: { mode },
          topic: { subscriptions: [{ protocol: 'email', endpoint: 'team@example.com' }] },
        }),
      );
      const outputs = Object.keys(s.template.toJSON().Outputs ?? {});
      const expected = STACK_OUTPUTS.filter((o) => mode === 'queue' || !o.startsWith('IngestQueue'));
      expect(expected.filter((o) => !outputs.includes(o))).toEqual([]);
    },
  );
});
