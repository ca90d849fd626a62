import { type EventlineConfig, loadConfig, withEnvironment } from '@eventline/config';
import { errorMessage } from '@eventline/core';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parse } from 'lossless-json';
import { type Output, processOutput } from './output.ts';
import { destroyClients, noLocalStack, resolveTarget, type Target } from './resources.ts';

/** What every command reads from the global options: config, endpoint, stack, output mode. */
export interface GlobalOptions {
  config: string;
  endpoint?: string;
  stack?: string;
  region?: string;
  json?: boolean;
}

export class Cli {
  private target_: Promise<Target> | undefined;
  private config_: Promise<EventlineConfig> | undefined;

  constructor(private readonly program: Command) {}

  get options(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get out(): Output {
    return processOutput(Boolean(this.options.json));
  }

  config(): Promise<EventlineConfig> {
    // The environment overrides rename the local stack's resources; a deployed stack's come from its outputs.
    this.config_ ??= loadConfig(this.options.config).then((c) =>
      this.options.stack ? c : withEnvironment(c),
    );
    return this.config_;
  }

  /**
   * The route ids to read the ledger's `attention` index under (it is partitioned by route): the
   * config's, and for a local stack the routes it runs (its `/_eventline/health`), so that a stack
   * started with `npm start -- --config examples/x/eventline.config.ts` is read right by a CLI
   * without that --config. A deployed stack's are the config's: run the CLI with the config deployed.
   */
  async routeIds(also: string[] = []): Promise<string[]> {
    // `--route <id>`: any route id, one removed from the config too (its outcomes stay in the index).
    const ids = new Set([...(await this.config()).routes.map((r) => r.id), ...also]);
    const target = await this.target();
    if (target.local) {
      try {
        const response = await fetch(`${target.endpoint}/_eventline/health`, {
          signal: AbortSignal.timeout(5_000),
        });
        if (response.ok) {
          const health = (await response.json()) as { routes?: Array<{ id?: unknown }> };
          for (const route of health.routes ?? []) if (typeof route.id === 'string') ids.add(route.id);
        }
      } catch {
        // Not eventline's edge (moto, another emulator): the config's routes.
      }
    }
    return [...ids];
  }

  /**
   * The endpoint set on purpose: `--endpoint`, else `EVENTLINE_ENDPOINT`, else `AWS_ENDPOINT_URL`
   * (what the local stack's banner exports, and what every AWS tool reads). With `--stack` it is where
   * every call goes, CloudFormation included; unset there, AWS's regional endpoints.
   */
  explicitEndpoint(): string | undefined {
    // An empty variable counts as unset, as the AWS SDK counts it.
    const explicit = [this.options.endpoint, process.env.EVENTLINE_ENDPOINT, process.env.AWS_ENDPOINT_URL]
      .map((value) => value?.trim())
      .find((value) => value);
    return explicit?.replace(/\/$/, '');
  }

  /** The local stack's endpoint: the explicit one, else `local.host:local.port` from the config. */
  async endpoint(): Promise<string> {
    const explicit = this.explicitEndpoint();
    if (explicit) return explicit;
    const c = await this.config();
    return `http://${c.local.host}:${c.local.port}`;
  }

  /** The deployed stack (--stack) or the local one, resolved once. */
  target(): Promise<Target> {
    this.target_ ??= (async () => {
      const { stack, region } = this.options;
      const explicit = this.explicitEndpoint();
      const target = await resolveTarget({
        ...(stack ? { stack } : {}),
        ...(region ? { region } : {}),
        endpoint: stack ? explicit : await this.endpoint(),
        config: await this.config(),
      });
      // Which stack, region and endpoint this command reads, before anything it prints.
      this.out.progress(
        `eventline: ${target.local ? 'local stack' : 'stack'} ${target.stackName}, region ${target.region}, endpoint ${target.endpoint}`,
      );
      return target;
    })();
    return this.target_;
  }

  async close(): Promise<void> {
    if (this.target_) destroyClients((await this.target_.catch(() => undefined))?.clients ?? ({} as never));
  }

  /** The local stack's admin API (`/_eventline/`), for what only the local stack offers. */
  async api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
    const base = await this.endpoint();
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: init?.method ?? 'GET',
        ...(init?.body !== undefined
          ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
    } catch (error) {
      throw new Error(`${noLocalStack(base)} (${errorMessage(error)})`);
    }
    // Numbers come as exact decimal text (38 digits): parsed losslessly, printed as they came.
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    let body: (T & { error?: string }) | undefined;
    try {
      body = type.startsWith('application/json') ? (parse(text) as T & { error?: string }) : undefined;
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null) {
      const start = text.replace(/\s+/g, ' ').trim().slice(0, 40);
      throw new Error(
        `${base} is not an eventline local stack: ${path} answered ${response.status} ${type || 'without a content type'}${start ? ` ("${start}${text.length > 40 ? '...' : ''}")` : ''}; point --endpoint or EVENTLINE_ENDPOINT at the endpoint \`npm start\` prints`,
      );
    }
    if (!response.ok) throw new Error(`${path}: ${body.error ?? response.statusText}`);
    return body;
  }
}

export const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a TCP port (0-65535)');
  return n;
};

/** `--route <id>`, repeatable: route ids to read the index under besides the config's. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export const ROUTE_HELP =
  'also read the index under this route id (repeatable): a route removed from the config keeps its outcomes there';

export const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

export const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
};

export const nonNegative = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of seconds, 0 or more');
  return n;
};
