import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError } from '../errors.ts';

/**
 * One HTTP(S) POST of a message, as SNS makes it: the endpoint has `timeoutMs` to answer with a
 * status; redirects are not followed. Connections are pooled per service and closed with it.
 */
export class HttpPoster {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

  /** Resolves with the response status; rejects with DeliveryError when there is none in time. */
  post(endpoint: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (error) {
      return Promise.reject(new DeliveryError(`invalid endpoint URL ${endpoint}`, { cause: error }));
    }
    const secure = url.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise<number>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: secure ? this.#https : this.#http,
        headers: { ...headers, 'Content-Length': String(payload.length) },
      });
      const timer = setTimeout(() => {
        request.destroy(new DeliveryError(`no response from ${url.origin} within ${timeoutMs} ms`));
      }, timeoutMs);
      request.once('response', (response) => {
        clearTimeout(timer);
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.once('error', (error) => {
        clearTimeout(timer);
        reject(
          error instanceof DeliveryError
            ? error
            : new DeliveryError(`POST ${url.origin}: ${error.message}`, { cause: error }),
        );
      });
      request.end(payload);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
