import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';

/** What the numbers were measured on: printed first and stored with the results. */
export interface MachineInfo {
  date: string;
  host: { cpu: string; cores: number; memoryGb: number; freeMemoryGb: number; loadAverage: number[] };
  os: string;
  node: string;
  versions: Record<string, string>;
  commit: string;
  dirty: boolean;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty?.[1]) return `${pretty[1]} (${process.platform} ${release()}, ${process.arch})`;
  } catch {
    // not Linux: fall through
  }
  return `${process.platform} ${release()} ${process.arch}`;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    host: {
      cpu: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      freeMemoryGb: Math.round((freemem() / 1024 ** 3) * 10) / 10,
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    os: osName(),
    node: process.version,
    versions: Object.fromEntries(
      [
        '@aws-sdk/client-s3',
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/lib-dynamodb',
        '@aws-sdk/client-sns',
        '@aws-sdk/client-sqs',
        'zod',
        'esbuild',
        'classic-level',
        'dynalite',
      ].map((name) => [name, packageVersion(name)]),
    ),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', 'packages']) !== '',
  };
}

export function describeMachine(info: MachineInfo): string[] {
  const { host } = info;
  return [
    `date     ${info.date}`,
    `machine  ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB RAM (${host.freeMemoryGb} GB free), load ${host.loadAverage.join(' ')}`,
    `os       ${info.os}`,
    `node     ${info.node}   commit ${info.commit}${info.dirty ? ' (packages/ has uncommitted changes)' : ''}`,
    `versions ${Object.entries(info.versions)
      .map(([k, v]) => `${k.replace('@aws-sdk/', '')} ${v}`)
      .join(', ')}`,
  ];
}
