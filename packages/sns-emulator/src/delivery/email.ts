/**
 * Email delivery for the SNS emulator's email and email-json subscriptions, over SMTP.
 */
import { createTransport } from 'nodemailer';
import { DeliveryError } from '../errors.ts';
import type { SmtpOptions } from '../types.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** Display name of the sender (the topic's DisplayName, else "AWS Notifications"). */
  fromName: string;
}

export const DEFAULT_FROM = 'eventline-sns@localhost';

/**
 * email / email-json delivery through one pooled nodemailer SMTP transport, created on first use
 * and closed with the service. Any SMTP failure (connection, rejected recipient, timeout) is a
 * failed attempt, retried like an HTTP failure.
 */
export class EmailSender {
  readonly #options: SmtpOptions;
  readonly #timeoutMs: number;
  #transport: ReturnType<typeof createTransport> | undefined;

  constructor(options: SmtpOptions, timeoutMs: number) {
    this.#options = options;
    this.#timeoutMs = timeoutMs;
  }

  #transporter(): ReturnType<typeof createTransport> {
    this.#transport ??= createTransport({
      pool: true,
      maxConnections: 2,
      host: this.#options.host,
      port: this.#options.port,
      secure: this.#options.secure ?? false,
      ...(this.#options.auth ? { auth: this.#options.auth } : {}),
      connectionTimeout: this.#timeoutMs,
      greetingTimeout: this.#timeoutMs,
      socketTimeout: this.#timeoutMs,
    });
    return this.#transport;
  }

  async send(mail: Mail): Promise<void> {
    const address = this.#options.from ?? DEFAULT_FROM;
    try {
      await this.#transporter().sendMail({
        from: { name: mail.fromName, address },
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DeliveryError(`SMTP ${this.#options.host}:${this.#options.port}: ${message}`, {
        cause: error,
      });
    }
  }

  close(): void {
    this.#transport?.close();
    this.#transport = undefined;
  }
}
