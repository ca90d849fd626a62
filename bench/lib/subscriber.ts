import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP endpoint subscribed to the topic, as an application would be: it confirms the
 * subscription by visiting its SubscribeURL and notes when each notification arrives, keyed by the
 * object key it names. The arrival time is the end of the put -> notification latency.
 */
export interface Arrival {
  key: string;
  at: number;
}

export class BenchSubscriber extends EventEmitter {
  readonly arrivals = new Map<string, number>();
  confirmations = 0;
  notifications = 0;
  private server!: Server;
  url = '';

  static async start(): Promise<BenchSubscriber> {
    const subscriber = new BenchSubscriber();
    await subscriber.listen();
    return subscriber;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const at = performance.now();
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        const type = req.headers['x-amz-sns-message-type'];
        let envelope: { Message?: string; SubscribeURL?: string };
        try {
          envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof envelope;
        } catch {
          return;
        }
        if (type === 'SubscriptionConfirmation' && envelope.SubscribeURL) {
          void fetch(envelope.SubscribeURL).then(async (response) => {
            await response.text();
            if (response.ok) {
              this.confirmations += 1;
              this.emit('confirmed');
            }
          });
          return;
        }
        if (type !== 'Notification' || typeof envelope.Message !== 'string') return;
        const key = keyOfMessage(envelope.Message);
        if (key === undefined) return;
        this.notifications += 1;
        if (!this.arrivals.has(key)) this.arrivals.set(key, at);
        this.emit('arrival', { key, at } satisfies Arrival);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sns`;
  }

  /** Resolves once every key has arrived; rejects after `timeoutMs` naming how many are missing. */
  waitFor(keys: readonly string[], timeoutMs: number, onProgress?: (arrived: number) => void): Promise<void> {
    const pending = new Set(keys.filter((k) => !this.arrivals.has(k)));
    if (pending.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onArrival = ({ key }: Arrival) => {
        if (!pending.delete(key)) return;
        onProgress?.(keys.length - pending.size);
        if (pending.size === 0) finish();
      };
      const timer = setTimeout(() => {
        this.off('arrival', onArrival);
        reject(
          new Error(
            `subscriber: ${pending.size} of ${keys.length} notifications missing after ${timeoutMs} ms (first: ${[...pending][0]})`,
          ),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.off('arrival', onArrival);
        resolve();
      };
      this.on('arrival', onArrival);
    });
  }

  waitForConfirmation(timeoutMs = 10_000): Promise<void> {
    if (this.confirmations > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('subscriber: subscription never confirmed')),
        timeoutMs,
      );
      this.once('confirmed', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/**
 * The object key a notification is about: eventline's JSON message has `key`; the seed's text message
 * is `New file processed: <key>`.
 */
export function keyOfMessage(message: string): string | undefined {
  if (message.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { key?: unknown };
      return typeof parsed.key === 'string' ? parsed.key : undefined;
    } catch {
      return undefined;
    }
  }
  return /^New file processed: (.+)$/s.exec(message)?.[1];
}
