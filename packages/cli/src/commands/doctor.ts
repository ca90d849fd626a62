import type { Command } from 'commander';
import type { Cli } from '../context.ts';
import { destroyDoctorClients, diagnose, doctorClients } from '../doctor.ts';
import { emit, table } from '../output.ts';

/**
 * `doctor`: before a first deploy (or when one failed), what in the AWS account would make the
 * deploy or the pipeline fail, one line per check. Exits 1 when a check fails.
 */
export function register(program: Command, cli: Cli): void {
  program
    .command('doctor')
    .description(
      "check the AWS account for what would fail a deploy of this config: CDK bootstrap, the stack's state, Lambda concurrency quota, names already taken, alarm topics",
    )
    .action(async () => {
      const config = await cli.config();
      const { region, endpoint } = cli.options;
      const stackName = cli.options.stack ?? config.name;
      const clients = doctorClients({
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint } : {}),
      });
      try {
        const resolvedRegion = await clients.cloudformation.config.region().catch(() => 'no region');
        cli.out.progress(
          `eventline doctor: stack ${stackName}, region ${resolvedRegion}, endpoint ${endpoint ?? process.env.AWS_ENDPOINT_URL ?? 'AWS (the regional endpoints)'}`,
        );
        const findings = await diagnose(clients, config, stackName);
        emit(cli.out, { stack: stackName, region: resolvedRegion, findings }, () =>
          table(
            ['', 'CHECK', 'FINDING'],
            findings.map((f) => [f.verdict === 'ok' ? 'ok' : f.verdict.toUpperCase(), f.check, f.message]),
          ),
        );
        if (findings.some((f) => f.verdict === 'fail')) process.exitCode = 1;
      } finally {
        destroyDoctorClients(clients);
      }
    });
}
