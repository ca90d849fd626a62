import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventlineConfig, EventlineConfigInput } from '@eventline/config';
import { parseConfig } from '@eventline/config';
import { addNagChecks, EventlineStack, type EventlineStackProps } from '@eventline/infra';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A tiny handler that bundles in milliseconds; the real entry is bundled by its own test. */
export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));
/** The Lambda entry module, by its face (`@eventline/lambda/entry`, packages/lambda/src/index.ts). */
export const REAL_ENTRY = createRequire(import.meta.url).resolve('@eventline/lambda/entry');

/** The feature flags of cdk.json, so that tests synthesize exactly what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export function configOf(input: EventlineConfigInput = {}): EventlineConfig {
  return parseConfig(input, 'test config');
}

export interface Synthesized {
  app: App;
  stack: EventlineStack;
  template: Template;
}

/**
 * Builds the stack in an app that runs the cdk-nag packs, synthesizes it (which throws on any
 * unacknowledged finding) and returns its template.
 */
export function synthesize(
  config: EventlineConfig,
  props: Partial<Omit<EventlineStackProps, 'config'>> = {},
): Synthesized {
  const app = new App({ context: cdkJsonContext() });
  addNagChecks(app);
  const stack = new EventlineStack(app, 'EventlineTest', { config, handlerEntry: FIXTURE_ENTRY, ...props });
  app.synth();
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation will see for a construct (or for the L1 resource behind an L2). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** The directory of the bundled function code in the synthesized cloud assembly. */
export function functionAssetDir(synthesized: Synthesized): string {
  const fn = synthesized.template.toJSON().Resources[logicalId(synthesized.stack.pipeline.function)] as {
    Properties: { Code: { S3Key: string } };
  };
  const hash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
  return `${synthesized.app.synth().directory}/asset.${hash}`;
}

/**
 * The source files bundled into the function, from its entry point: every file reached through
 * relative imports or the workspace's package names (what esbuild bundles of ours), with its text.
 */
export function functionSources(entry: string = REAL_ENTRY): Map<string, string> {
  const files = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      pending.push(resolve(dirname(file), match[1]!));
    }
    // The workspace's own packages, imported by a face (`@eventline/core`, `@eventline/aws/http`): resolved
    // as Node resolves them, through the package's `exports`.
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(@eventline\/[^']+)'/g)) {
      pending.push(createRequire(file).resolve(match[1]!));
    }
  }
  return files;
}
