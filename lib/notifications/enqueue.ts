import "server-only";

import type { Tx } from "@/lib/db";
import { getBoss, QUEUES, transactionExecutor, type GrantJobData } from "@/lib/jobs/queue";

import { REMINDER_LEAD_MS, type PlannedNotification } from "./messages";

export type SendNotificationJobData = { notificationId: string };

// Six attempts with exponential backoff from 30 s (pg-boss 10 waits 30 s × 2^n × a random 1 to 2):
// the last attempt starts roughly 15 to 30 minutes after the first.
export const NOTIFICATION_RETRY = { retryLimit: 5, retryDelay: 30, retryBackoff: true } as const;

/**
 * Inserts PENDING notifications and one send job for each, in the caller's transaction, so a
 * change that rolls back leaves neither behind. Returns the new rows' ids.
 */
export async function insertNotifications(tx: Tx, planned: PlannedNotification[]): Promise<string[]> {
  if (planned.length === 0) return [];

  const rows = await tx.notification.createManyAndReturn({ data: planned, select: { id: true } });
  const ids = rows.map((row) => row.id);
  await enqueueNotificationSends(tx, ids);

  return ids;
}

/** Enqueues one send job per notification id, in the caller's transaction. */
export async function enqueueNotificationSends(tx: Tx, notificationIds: string[]): Promise<void> {
  if (notificationIds.length === 0) return;

  const boss = await getBoss();
  await boss.insert(
    notificationIds.map((notificationId) => ({
      name: QUEUES.sendNotification,
      data: { notificationId } satisfies SendNotificationJobData,
      ...NOTIFICATION_RETRY,
    })),
    { db: transactionExecutor(tx) },
  );
}

/**
 * Enqueues the holder's reminder for 15 minutes before the grant's end, in the caller's
 * transaction. Skipped, and returns false, when less than that remains at `now`.
 */
export async function scheduleGrantEndingReminder(tx: Tx, grant: { id: string; endsAt: Date }, now: Date): Promise<boolean> {
  const remindAt = new Date(grant.endsAt.getTime() - REMINDER_LEAD_MS);
  if (remindAt < now) return false;

  const boss = await getBoss();
  await boss.send(QUEUES.grantEndingReminder, { grantId: grant.id, at: grant.endsAt.toISOString() } satisfies GrantJobData, {
    ...NOTIFICATION_RETRY,
    startAfter: remindAt,
    singletonKey: `ending:${grant.id}:${grant.endsAt.toISOString()}`,
    db: transactionExecutor(tx),
  });

  return true;
}
