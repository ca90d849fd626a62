import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '@eventline/durable-file';
import { z } from 'zod';
import { SUPPORTED_PROTOCOLS } from './constants.ts';
import { SnsStateError } from './errors.ts';
import type { Protocol } from './types.ts';

/**
 * Topics, subscriptions and confirmation tokens. In memory, and with a data directory also in
 * `state.json`, rewritten whole (the state is small) durably (temporary file, fsync, rename, fsync
 * of the directory) so a crash leaves either the old or the new state, never half of one. Writes are coalesced: every
 * caller awaiting `save()` is answered by a write that includes its change.
 */

const tagSchema = z.object({ Key: z.string(), Value: z.string() });

const topicSchema = z.object({
  arn: z.string(),
  name: z.string(),
  region: z.string(),
  attributes: z.record(z.string(), z.string()),
  tags: z.array(tagSchema),
  createdAt: z.string(),
  /** Last FIFO sequence number handed out. */
  sequence: z.number().int().nonnegative().default(0),
});

const subscriptionSchema = z.object({
  arn: z.string(),
  topicArn: z.string(),
  protocol: z.enum(SUPPORTED_PROTOCOLS),
  endpoint: z.string(),
  owner: z.string(),
  attributes: z.record(z.string(), z.string()),
  pending: z.boolean(),
  confirmationWasAuthenticated: z.boolean(),
  createdAt: z.string(),
});

const tokenSchema = z.object({
  token: z.string(),
  topicArn: z.string(),
  subscriptionArn: z.string(),
  expiresAt: z.number(),
  /** For an UnsubscribeConfirmation token: the deleted subscription, restored if confirmed. */
  restore: subscriptionSchema.optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  topics: z.array(topicSchema),
  subscriptions: z.array(subscriptionSchema),
  tokens: z.array(tokenSchema),
});

export type Tag = z.infer<typeof tagSchema>;
export type TopicRecord = z.infer<typeof topicSchema>;
export type SubscriptionRecord = z.infer<typeof subscriptionSchema> & { protocol: Protocol };
export type TokenRecord = z.infer<typeof tokenSchema>;

export const STATE_FILE = 'state.json';

export class SnsStore {
  readonly topics = new Map<string, TopicRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly #path: string | undefined;
  #requested = 0;
  #written = 0;
  #writing: Promise<void> | undefined;

  constructor(dataDir?: string) {
    this.#path = dataDir ? join(dataDir, STATE_FILE) : undefined;
    if (this.#path) this.#load(this.#path);
  }

  #load(path: string): void {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SnsStateError(path, `cannot read SNS state ${path}`, { cause: error });
    }
    let state: z.infer<typeof stateSchema>;
    try {
      state = stateSchema.parse(JSON.parse(raw));
    } catch (error) {
      throw new SnsStateError(path, `SNS state ${path} is not valid; fix or remove it`, { cause: error });
    }
    for (const topic of state.topics) this.topics.set(topic.arn, topic);
    for (const subscription of state.subscriptions) this.subscriptions.set(subscription.arn, subscription);
    const now = Date.now();
    for (const token of state.tokens) if (token.expiresAt > now) this.tokens.set(token.token, token);
  }

  subscriptionsOf(topicArn: string): SubscriptionRecord[] {
    return [...this.subscriptions.values()].filter((s) => s.topicArn === topicArn);
  }

  findSubscription(topicArn: string, protocol: string, endpoint: string): SubscriptionRecord | undefined {
    return this.subscriptionsOf(topicArn).find((s) => s.protocol === protocol && s.endpoint === endpoint);
  }

  deleteTopic(arn: string): void {
    this.topics.delete(arn);
    for (const subscription of this.subscriptionsOf(arn)) this.subscriptions.delete(subscription.arn);
    for (const [key, token] of this.tokens) if (token.topicArn === arn) this.tokens.delete(key);
  }

  /** Resolves once the state including every change made so far is on disk (at once without a data dir). */
  async save(): Promise<void> {
    const path = this.#path;
    if (!path) return;
    const generation = ++this.#requested;
    while (this.#written < generation) {
      this.#writing ??= this.#writeLatest(path).finally(() => {
        this.#writing = undefined;
      });
      await this.#writing;
    }
  }

  async #writeLatest(path: string): Promise<void> {
    const generation = this.#requested;
    await this.#write(path);
    this.#written = Math.max(this.#written, generation);
  }

  async #write(path: string): Promise<void> {
    const now = Date.now();
    const state: z.input<typeof stateSchema> = {
      version: 1,
      topics: [...this.topics.values()],
      subscriptions: [...this.subscriptions.values()],
      tokens: [...this.tokens.values()].filter((t) => t.expiresAt > now),
    };
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFileDurable(path, `${JSON.stringify(state, null, 2)}\n`);
    } catch (error) {
      throw new SnsStateError(path, `cannot write SNS state ${path}`, { cause: error });
    }
  }

  /** Waits for a write in progress (used on close). */
  async flush(): Promise<void> {
    await this.#writing?.catch(() => undefined);
  }
}
