import "server-only";

import type PgBoss from "pg-boss";

import { db } from "@/lib/db";
import type { Notification } from "@/lib/generated/prisma/client";
import { QUEUES } from "@/lib/jobs/queue";
import { log } from "@/lib/log";

import { readNotificationSettings } from "./config";
import type { SendNotificationJobData } from "./enqueue";
import type { NotificationSettings } from "./settings";
import { DeliveryError, describeDeliveryError, postWebhook, secretsOfUrl, sendEmail, WEBHOOK_TIMEOUT_MS } from "./transports";

/** Position of a job run among its retries. pg-boss counts retries from 0, and the run with retryCount = retryLimit is the last. */
export type DeliveryAttempt = { retryCount: number; retryLimit: number };

export type DeliveryOutcome =
  | { status: "sent" }
  | { status: "retry"; error: string }
  | { status: "failed"; error: string }
  | { status: "skipped"; reason: "not-found" | "already-sent" | "already-failed" };

export type DeliveryOptions = {
  /** Defaults to the settings from the environment; tests pass their own servers. */
  settings?: NotificationSettings;
  webhookTimeoutMs?: number;
};

/**
 * Sends one stored notification and records the result on its row: SENT with sentAt, or the
 * error in lastError. The row stays PENDING while retries remain and becomes FAILED after the
 * last one, or at once when retrying cannot help (a 4xx response, a permanent SMTP reply, a channel
 * that is not configured). Never throws for a delivery failure; database errors propagate.
 */
export async function deliverNotification(notificationId: string, attempt: DeliveryAttempt, options: DeliveryOptions = {}): Promise<DeliveryOutcome> {
  const settings = options.settings ?? readNotificationSettings();
  const notification = await db.notification.findUnique({ where: { id: notificationId } });
  if (!notification) return { status: "skipped", reason: "not-found" };
  if (notification.status === "SENT") return { status: "skipped", reason: "already-sent" };
  if (notification.status === "FAILED") return { status: "skipped", reason: "already-failed" };

  const logFields = { notificationId, channel: notification.channel, event: notification.event, attempt: attempt.retryCount + 1 };
  try {
    await send(notification, settings, options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS);
  } catch (error) {
    const secrets = [...secretsOfUrl(settings.webhookUrl), ...secretsOfUrl(settings.email?.kind === "smtp" ? settings.email.url : null)];
    const lastError = describeDeliveryError(error, secrets);
    const final = attempt.retryCount >= attempt.retryLimit || !isRetryable(error);
    await db.notification.update({
      where: { id: notificationId },
      data: { status: final ? "FAILED" : "PENDING", attempts: { increment: 1 }, lastError },
    });
    log.warn({ ...logFields, final, error: lastError }, final ? "notification delivery failed, no retries left" : "notification delivery failed, will retry");

    return final ? { status: "failed", error: lastError } : { status: "retry", error: lastError };
  }

  await db.notification.update({
    where: { id: notificationId },
    data: { status: "SENT", sentAt: new Date(), attempts: { increment: 1 }, lastError: null },
  });
  log.info(logFields, "notification sent");

  return { status: "sent" };
}

/**
 * Runs a batch of send jobs in the worker. A delivery that will retry fails its own job, so the
 * rest of the batch is not retried with it. pg-boss then completes only the jobs still active.
 */
export async function handleSendNotificationJobs(
  boss: PgBoss,
  jobs: PgBoss.JobWithMetadata<SendNotificationJobData>[],
  options: DeliveryOptions = {},
): Promise<void> {
  for (const job of jobs) {
    const outcome = await deliverNotification(job.data.notificationId, { retryCount: job.retryCount, retryLimit: job.retryLimit }, options);
    if (outcome.status === "retry") await boss.fail(QUEUES.sendNotification, job.id, { message: outcome.error });
    if (outcome.status === "skipped") log.debug({ notificationId: job.data.notificationId, reason: outcome.reason }, "notification send job skipped");
  }
}

async function send(notification: Notification, settings: NotificationSettings, webhookTimeoutMs: number): Promise<void> {
  if (notification.channel === "WEBHOOK") {
    if (!settings.webhookUrl) throw new DeliveryError("the webhook is not configured (set NOTIFY_WEBHOOK_URL)", { retryable: false });
    await postWebhook(settings.webhookUrl, notification.body, webhookTimeoutMs);

    return;
  }

  if (!settings.email) throw new DeliveryError("email is not configured (set SMTP_URL or MAIL_OUTBOX_DIR)", { retryable: false });
  await sendEmail(
    { notificationId: notification.id, to: notification.recipient, subject: notification.subject, text: notification.body, createdAt: notification.createdAt },
    settings.email,
    settings.from,
  );
}

/** Checks whether another attempt could succeed: not after a 5xx SMTP reply or an error marked permanent. */
function isRetryable(error: unknown): boolean {
  if (error instanceof DeliveryError) return error.retryable;
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;

  return !(typeof responseCode === "number" && responseCode >= 500 && responseCode < 600);
}
