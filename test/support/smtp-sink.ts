import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A real SMTP server for tests (the `smtp-server` package) that keeps every mail it accepts,
 * parsed with mailparser (quoted-printable bodies, encoded subjects). Plain SMTP on loopback, no
 * STARTTLS, any or no AUTH. It can be told to answer the next N mails with a temporary failure.
 */

export interface ReceivedMail {
  /** Envelope sender and recipients, as given in MAIL FROM / RCPT TO. */
  envelopeFrom: string;
  envelopeTo: string[];
  /** The From header's address and display name. */
  from: { address: string; name: string };
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Answer the next `times` mails with 451 (a temporary failure the sender should retry). */
  failNext(times: number): void;
  /** Resolves with the matching mails once there are `count` (default 1); rejects after `timeoutMs` (default 10 s). */
  waitFor(
    predicate: (mail: ReceivedMail) => boolean,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const addressOf = (value: false | { address: string }): string => (value ? value.address : '');

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const changed = new EventEmitter();
  let failures = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'test' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures > 0) {
          failures--;
          const error: SMTPServerError = new Error('Temporary failure, on purpose');
          error.responseCode = 451;
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const from = parsed.from?.value[0];
            const to = Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : [];
            messages.push({
              envelopeFrom: addressOf(session.envelope.mailFrom),
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              from: { address: from?.address ?? '', name: from?.name ?? '' },
              to: to.flatMap((group) => group.value.map((a) => a.address ?? '')),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              raw,
            });
            callback();
            changed.emit('change');
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    failNext(times) {
      failures = times;
    },
    waitFor(predicate, options = {}) {
      const count = options.count ?? 1;
      const timeoutMs = options.timeoutMs ?? 10_000;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = messages.filter(predicate);
          if (found.length < count) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`smtp sink: timed out after ${timeoutMs} ms waiting for ${count} mail(s)`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          changed.off('change', check);
        };
        changed.on('change', check);
        check();
      });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
