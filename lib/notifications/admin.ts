import "server-only";

import { z } from "zod";

import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { parseInput } from "@/lib/zod-errors";

import { readNotificationSettings } from "./config";
import { enqueueNotificationSends } from "./enqueue";

const ZNotificationId = z.string().trim().min(1).max(64);

const FAILED_LIMIT = 100;
const RECENT_LIMIT = 200;

export type ChannelStatus = {
  email: { kind: "smtp" } | { kind: "outbox"; dir: string } | { kind: "off" };
  webhook: "on" | "off";
};

function assertAdmin(actor: Actor) {
  if (actor.role !== "ADMIN") throw new AppError("NOT_FOUND", "Not found.");
}

/**
 * Notifications for the admin page: FAILED ones first (newest first), then the latest others, and
 * which channels this process has configured. URLs are never returned.
 */
export async function listNotificationsForAdmin(actor: Actor) {
  assertAdmin(actor);

  const [failed, recent] = await Promise.all([
    db.notification.findMany({ where: { status: "FAILED" }, orderBy: { createdAt: "desc" }, take: FAILED_LIMIT }),
    db.notification.findMany({ where: { status: { not: "FAILED" } }, orderBy: { createdAt: "desc" }, take: RECENT_LIMIT }),
  ]);
  const settings = readNotificationSettings();
  const channels: ChannelStatus = {
    email: settings.email === null ? { kind: "off" } : settings.email.kind === "smtp" ? { kind: "smtp" } : { kind: "outbox", dir: settings.email.dir },
    webhook: settings.webhookUrl === null ? "off" : "on",
  };

  return { failed, recent, channels, limits: { failed: FAILED_LIMIT, recent: RECENT_LIMIT } };
}

/**
 * Puts a FAILED notification back to PENDING and enqueues a new send job with a fresh set of
 * retries. The earlier lastError stays until the next attempt replaces it.
 */
export async function retryFailedNotification(actor: Actor, rawNotificationId: unknown): Promise<void> {
  assertAdmin(actor);
  const notificationId = parseInput(ZNotificationId, rawNotificationId);

  await db.$transaction(async (tx) => {
    const { count } = await tx.notification.updateMany({ where: { id: notificationId, status: "FAILED" }, data: { status: "PENDING" } });
    if (count === 0) {
      const exists = await tx.notification.count({ where: { id: notificationId } });
      if (exists === 0) throw new AppError("NOT_FOUND", "Notification not found.");
      throw new AppError("INVALID_STATE", "Only a failed notification can be retried; this one is pending or already sent.");
    }
    await enqueueNotificationSends(tx, [notificationId]);
  });
  log.info({ notificationId, actorId: actor.id }, "notification retry queued");
}
