import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP endpoint for SNS subscriptions in tests. It records every request, answers 200, and
 * (unless told otherwise) confirms a SubscriptionConfirmation by GETting its SubscribeURL, as a
 * subscriber application would. It can be told to fail the next N messages with a status.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON (SNS envelopes are; raw deliveries may not be). */
  json?: Record<string, unknown>;
  /** The status this subscriber answered with. */
  answeredWith: number;
}

export interface ConfirmationVisit {
  url: string;
  status: number;
  body: string;
}

export interface HttpSubscriberOptions {
  /** GET the SubscribeURL of each SubscriptionConfirmation; default true. */
  autoConfirm?: boolean;
  /** Path part of `url`; default `/sns`. */
  path?: string;
}

export interface WaitOptions {
  /** How many matching requests to wait for; default 1. */
  count?: number;
  /** Bounded wait; default 10 s. */
  timeoutMs?: number;
}

export interface HttpSubscriber {
  /** The endpoint to subscribe, e.g. `http://127.0.0.1:41234/sns`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly confirmations: ConfirmationVisit[];
  /** Answer the next `times` messages of the given types (default Notification) with `status` (default 500). */
  failNext(times: number, options?: { status?: number; types?: string[] }): void;
  /** Hold the answer to the next `times` requests for `ms` (they are recorded on arrival). */
  delayNext(times: number, ms: number): void;
  /** Requests whose `x-amz-sns-message-type` is `type`. */
  ofType(type: string): RecordedRequest[];
  /** Resolves with the matching requests once there are `count` of them; rejects after the timeout. */
  waitFor(
    predicate: (request: RecordedRequest) => boolean,
    options?: WaitOptions,
  ): Promise<RecordedRequest[]>;
  /** Waits for `count` requests of a message type. */
  waitForType(type: string, options?: WaitOptions): Promise<RecordedRequest[]>;
  /** Waits until `count` SubscribeURL visits have completed. */
  waitForConfirmations(options?: WaitOptions): Promise<ConfirmationVisit[]>;
  close(): Promise<void>;
}

const messageType = (request: RecordedRequest): string =>
  String(request.headers['x-amz-sns-message-type'] ?? '');

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function startHttpSubscriber(options: HttpSubscriberOptions = {}): Promise<HttpSubscriber> {
  const autoConfirm = options.autoConfirm ?? true;
  const path = options.path ?? '/sns';
  const requests: RecordedRequest[] = [];
  const confirmations: ConfirmationVisit[] = [];
  const changed = new EventEmitter();
  const visits = new Set<Promise<void>>();
  let failures = { remaining: 0, status: 500, types: ['Notification'] };
  let delays = { remaining: 0, ms: 0 };

  const visit = async (url: string): Promise<void> => {
    try {
      const response = await fetch(url);
      confirmations.push({ url, status: response.status, body: await response.text() });
    } catch (error) {
      confirmations.push({ url, status: 0, body: String(error) });
    }
    changed.emit('change');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        answeredWith: 200,
      };
      const json = parseJson(body);
      if (json) recorded.json = json;
      const type = messageType(recorded);
      if (failures.remaining > 0 && failures.types.includes(type)) {
        failures.remaining--;
        recorded.answeredWith = failures.status;
      }
      requests.push(recorded);
      const answer = (): void => {
        res.writeHead(recorded.answeredWith, { 'Content-Type': 'text/plain' });
        res.end(recorded.answeredWith < 300 ? 'ok' : 'failing on purpose');
      };
      if (delays.remaining > 0) {
        delays.remaining--;
        setTimeout(answer, delays.ms);
      } else {
        answer();
      }
      if (autoConfirm && type === 'SubscriptionConfirmation' && recorded.answeredWith < 300) {
        const url = json?.SubscribeURL;
        if (typeof url === 'string') {
          const pending = visit(url);
          visits.add(pending);
          void pending.finally(() => visits.delete(pending));
        }
      }
      changed.emit('change');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  function until<T>(check: () => T[] | undefined, what: string, timeoutMs: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const found = check();
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`http subscriber: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        changed.off('change', attempt);
      };
      changed.on('change', attempt);
      attempt();
    });
  }

  const subscriber: HttpSubscriber = {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    confirmations,
    failNext(times, failOptions = {}) {
      failures = {
        remaining: times,
        status: failOptions.status ?? 500,
        types: failOptions.types ?? ['Notification'],
      };
    },
    delayNext(times, ms) {
      delays = { remaining: times, ms };
    },
    ofType: (type) => requests.filter((r) => messageType(r) === type),
    waitFor(predicate, waitOptions = {}) {
      const count = waitOptions.count ?? 1;
      return until(
        () => {
          const found = requests.filter(predicate);
          return found.length >= count ? found : undefined;
        },
        `${count} matching request(s)`,
        waitOptions.timeoutMs ?? 10_000,
      );
    },
    waitForType(type, waitOptions) {
      return subscriber.waitFor((r) => messageType(r) === type, waitOptions);
    },
    waitForConfirmations(waitOptions = {}) {
      const count = waitOptions.count ?? 1;
      return until(
        () => (confirmations.length >= count ? [...confirmations] : undefined),
        `${count} confirmation visit(s)`,
        waitOptions.timeoutMs ?? 10_000,
      );
    },
    async close() {
      await Promise.allSettled([...visits]);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return subscriber;
}
