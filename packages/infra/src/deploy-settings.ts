import type { EventlineConfig } from '@eventline/config';
import {
  ConfigError,
  internalPrefixProblem,
  routeOverlapProblem,
  visibilityTimeoutSeconds,
} from '@eventline/config';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * What the AWS deployment needs on top of the config schema's own checks. The schema already rejects
 * overlapping routes and routes that overlap `internalPrefix`; the same checks (one definition, in
 * @eventline/config's route-checks.ts) run again here because a stack can be built from a config
 * object that never went through `parseConfig`, and S3 only refuses an ambiguous notification
 * configuration in the middle of a deployment.
 */

type Problem = { setting: string; message: string };

/** The retention periods CloudWatch Logs accepts, in days. */
const RETENTION_DAYS: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/** The ingest queue's visibility timeout: the same rule the local stack uses (@eventline/config/queues.ts). */
export function visibilityTimeoutFor(config: EventlineConfig): Duration {
  return Duration.seconds(visibilityTimeoutSeconds(config));
}

export function logRetentionFor(config: EventlineConfig): RetentionDays {
  return config.function.logRetentionDays as RetentionDays;
}

export function removalPolicyOf(setting: 'retain' | 'destroy'): RemovalPolicy {
  return setting === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

/** Every reason this config cannot be deployed, by setting; empty when it can. */
export function deployProblems(config: EventlineConfig): Problem[] {
  const problems: Problem[] = [];
  const { routes, internalPrefix, trigger } = config;

  routes.forEach((a, i) => {
    if (a.prefix === '') {
      problems.push({
        setting: `routes.${i}.prefix`,
        message: `route "${a.id}" has an empty prefix: it would match eventline's own writes under "${internalPrefix}"`,
      });
    }
    if (/[*?]/.test(a.prefix)) {
      problems.push({
        setting: `routes.${i}.prefix`,
        message: `route "${a.id}": "*" and "?" are wildcards in IAM resource ARNs, so the function's read permission could not be limited to prefix "${a.prefix}"`,
      });
    }
    const internal = internalPrefixProblem(a, internalPrefix);
    if (internal) problems.push({ setting: `routes.${i}.prefix`, message: internal });
    routes.forEach((b, j) => {
      const overlap = j > i ? routeOverlapProblem(a, b) : undefined;
      if (overlap) problems.push({ setting: `routes.${j}`, message: overlap });
    });
  });

  if (/[*?]/.test(internalPrefix)) {
    problems.push({
      setting: 'internalPrefix',
      message: `"*" and "?" are wildcards in IAM resource ARNs, so the write permission could not be limited to "${internalPrefix}"`,
    });
  }

  if (!RETENTION_DAYS.has(config.function.logRetentionDays)) {
    const allowed = [...RETENTION_DAYS].sort((x, y) => x - y).join(', ');
    problems.push({
      setting: 'function.logRetentionDays',
      message: `CloudWatch Logs accepts one of ${allowed} days, got ${config.function.logRetentionDays}`,
    });
  }

  const { alarms } = config;
  if (alarms.notify !== 'nowhere' && alarms.subscriptions.length + alarms.topicArns.length === 0) {
    problems.push({
      setting: 'alarms.subscriptions',
      message:
        "no one would receive the alarms: add an e-mail or https subscriber (alarms.subscriptions) or an existing SNS topic (alarms.topicArns), or say alarms: { notify: 'nowhere' } to deploy without any",
    });
  }

  if (trigger.mode === 'queue') {
    if (trigger.batchSize > 10 && trigger.maxBatchingWindowSeconds < 1) {
      problems.push({
        setting: 'trigger.maxBatchingWindowSeconds',
        message: `a batch size above 10 (got ${trigger.batchSize}) needs a batching window of at least 1 second`,
      });
    }
    const reserved = config.function.reservedConcurrency;
    if (reserved !== undefined && trigger.maxConcurrency > reserved) {
      problems.push({
        setting: 'trigger.maxConcurrency',
        message: `the queue poller's maximum concurrency (${trigger.maxConcurrency}) exceeds the function's reserved concurrency (${reserved}); the extra pollers would only be throttled`,
      });
    }
  }
  return problems;
}

/** Throws a ConfigError naming every setting that cannot be deployed as is. */
export function assertDeployable(config: EventlineConfig, origin = 'eventline.config.ts'): void {
  const problems = deployProblems(config);
  if (problems.length === 0) return;
  throw new ConfigError(
    `${origin}: cannot deploy this configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}`,
    { problems },
  );
}
