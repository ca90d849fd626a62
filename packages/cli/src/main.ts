import { ConfigError } from '@eventline/config';
import { errorMessage } from '@eventline/core';
import { Command } from 'commander';
import { register as backfill } from './commands/backfill.ts';
import { register as dlq } from './commands/dlq.ts';
import { register as doctor } from './commands/doctor.ts';
import { register as ledger } from './commands/ledger.ts';
import { register as local } from './commands/local.ts';
import { register as reconcile } from './commands/reconcile.ts';
import { register as status } from './commands/status.ts';
import { Cli } from './context.ts';

/**
 * `eventline`: start the local stack, and operate a pipeline, local or deployed, through AWS APIs
 * alone. `--stack <name>` reads a deployed stack's CloudFormation outputs (credentials and region
 * from the standard AWS chain); without it, the local stack named by the config, at its endpoint.
 * One module per command group under commands/.
 */

// The lockfile pins AWS SDK releases that run on Node 20; their notice about 2027 is not for users here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The commands, as the alarm descriptions and the runbook cite them (test/cli/alarm-commands.test.ts). */
export function buildProgram(): { program: Command; cli: Cli } {
  const program = new Command();
  program
    .name('eventline')
    .description('Event-driven file ingestion: S3 -> handler -> DynamoDB ledger -> SNS, locally and on AWS.')
    .option('-c, --config <file>', 'configuration file', 'eventline.config.ts')
    .option(
      '-e, --endpoint <url>',
      'where every AWS call goes: a running local stack (default: EVENTLINE_ENDPOINT, AWS_ENDPOINT_URL, or local.host:local.port from the config), or with --stack an emulator serving CloudFormation too',
    )
    .option(
      '-s, --stack <name>',
      'a deployed stack (CloudFormation outputs; credentials and region from the AWS chain)',
    )
    .option(
      '-r, --region <region>',
      'AWS region of --stack (default: the AWS chain: AWS_REGION, the profile)',
    )
    .option('--json', 'JSON for scripts (numbers exactly as stored) instead of tables');
  const cli = new Cli(program);
  local(program, cli);
  ledger(program, cli);
  status(program, cli);
  dlq(program, cli);
  backfill(program, cli);
  reconcile(program, cli);
  doctor(program, cli);
  return { program, cli };
}

export async function run(argv: string[]): Promise<void> {
  const { program, cli } = buildProgram();
  try {
    await program.parseAsync(argv);
  } finally {
    if (program.args[0] !== 'start') await cli.close();
  }
}

/** The command line's entry (bin/eventline.mjs, `npm start`): a failure is one line on stderr, exit 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `eventline: ${errorMessage(error)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}

if (process.argv[1]?.endsWith('main.ts')) void main(process.argv);
