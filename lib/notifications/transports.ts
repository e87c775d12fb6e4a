import "server-only";

import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import nodemailer, { type Transporter } from "nodemailer";
import SMTPTransport from "nodemailer/lib/smtp-transport";

import type { EmailTransportSettings } from "./settings";

/** A webhook request without a response within this time counts as a failed delivery. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

// nodemailer 7 waits up to 2 min to connect and 10 min on an idle socket by default. A job should
// not hang that long on one message, because pg-boss retries it anyway.
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 } as const;

const MAX_ERROR_LENGTH = 500;

/**
 * A delivery failure whose message is safe to store and show: it names no URL or secret.
 * `retryable` is false when another attempt with the same settings cannot succeed.
 */
export class DeliveryError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, { cause: options?.cause });
    this.name = "DeliveryError";
    this.retryable = options?.retryable ?? true;
  }
}

// Client errors that a later attempt can get past. Every other 4xx means that the request or the
// webhook itself is wrong: Slack responds 403 or 404 for a revoked or unknown webhook.
const RETRYABLE_CLIENT_STATUSES = new Set([408, 425, 429]);

export type OutgoingEmail = {
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  createdAt: Date;
};

const smtpTransporters = new Map<string, Transporter<SMTPTransport.SentMessageInfo>>();

/**
 * Sends one email: over SMTP, or as an `.eml` file in the outbox folder. The file name contains the
 * notification id, so a retry overwrites its own earlier file instead of adding another.
 */
export async function sendEmail(email: OutgoingEmail, transport: EmailTransportSettings, from: string): Promise<void> {
  // Quoted-printable keeps the body readable in an .eml file or a raw mail source.
  const message = { from, to: email.to, subject: email.subject, text: email.text, textEncoding: "quoted-printable" as const };

  if (transport.kind === "smtp") {
    await smtpTransporterFor(transport.url).sendMail(message);

    return;
  }

  const outbox = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await outbox.sendMail(message);
  if (!Buffer.isBuffer(info.message)) throw new DeliveryError("nodemailer returned a stream instead of a buffer for the outbox message");

  await mkdir(transport.dir, { recursive: true });
  const fileName = `${email.createdAt.toISOString().replace(/[:.]/g, "-")}-${email.notificationId}.eml`;
  const target = path.join(transport.dir, fileName);
  // Written under a temporary name and renamed, so a reader never sees half a message.
  const partial = `${target}.partial`;
  await writeFile(partial, info.message);
  await rename(partial, target);
}

/** Posts `{ text }` as JSON to a Slack-compatible incoming webhook. Any response other than 2xx is a failure. */
export async function postWebhook(url: string, text: string, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && error.name === "TimeoutError") {
      throw new DeliveryError(`webhook request timed out after ${timeoutMs / 1000} s`, { cause: error });
    }
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new DeliveryError(`webhook request failed${typeof code === "string" ? `: ${code}` : ""}`, { cause: error });
  }

  // The body is not read: it is not needed, and an error page could echo parts of the URL.
  await response.body?.cancel();
  if (!response.ok) {
    const retryable = response.status >= 500 || RETRYABLE_CLIENT_STATUSES.has(response.status);
    throw new DeliveryError(`webhook responded with HTTP ${response.status}`, { retryable });
  }
}

/**
 * Describes a delivery error for Notification.lastError and the log: the error code and message,
 * with the given secrets and any URL replaced, cut to 500 characters.
 */
export function describeDeliveryError(error: unknown, secrets: readonly string[]): string {
  let text: string;
  if (error instanceof DeliveryError) text = error.message;
  else if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  } else text = "delivery failed with an unexpected error";

  for (const secret of secrets) {
    if (secret.length >= 4) text = text.replaceAll(secret, "[redacted]");
  }
  text = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "[redacted URL]");

  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/** The parts of a connection URL that must never be shown: the URL itself, its user and password. */
export function secretsOfUrl(url: string | null | undefined): string[] {
  if (!url) return [];
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
    if (parsed.username) secrets.push(parsed.username, decodeURIComponent(parsed.username));
  } catch {
    // An unparsable URL is still redacted as a whole.
  }

  return secrets;
}

function smtpTransporterFor(url: string) {
  let transporter = smtpTransporters.get(url);
  if (!transporter) {
    transporter = nodemailer.createTransport(new SMTPTransport({ url, ...SMTP_TIMEOUTS }));
    smtpTransporters.set(url, transporter);
  }

  return transporter;
}
