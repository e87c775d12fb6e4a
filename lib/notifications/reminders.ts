import "server-only";

import { db } from "@/lib/db";
import type { GrantJobData } from "@/lib/jobs/queue";
import { log } from "@/lib/log";

import { readNotificationSettings } from "./config";
import { insertNotifications } from "./enqueue";
import { loadGrantFacts } from "./load-event";
import { planNotifications } from "./messages";
import type { NotificationSettings } from "./settings";

export type ReminderOutcome = "created" | "stale" | "duplicate" | "no-recipient" | "email-not-configured";

/**
 * Runs a reminder job: stores the holder's "access ends soon" email (sent by its own job) if the
 * grant is still ACTIVE and still ends at `data.at`. A grant that was revoked, expired or extended
 * since the job was scheduled is "stale"; an extension scheduled its own reminder for the new end.
 */
export async function sendGrantEndingReminder(data: GrantJobData, now = new Date(), settings: NotificationSettings = readNotificationSettings()): Promise<ReminderOutcome> {
  if (!settings.email) return "email-not-configured";

  const outcome = await db.$transaction(async (tx): Promise<ReminderOutcome> => {
    // The row lock waits for a revocation or extension in progress, and serialises two runs of the job.
    await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${data.grantId} FOR UPDATE`;
    const grant = await loadGrantFacts(tx, data.grantId);
    if (!grant || grant.status !== "ACTIVE" || grant.endsAt.toISOString() !== data.at || grant.endsAt <= now) return "stale";

    const planned = planNotifications({ action: "grant.ending_soon", grant, now }, { baseUrl: settings.baseUrl, email: true, webhook: false });
    if (planned.length === 0) return "no-recipient";

    // A job that ran before, committed, and was then retried finds its own row by the subject, which names the end.
    const existing = await tx.notification.count({ where: { grantId: grant.id, event: "grant.ending_soon", subject: { in: planned.map((row) => row.subject) } } });
    if (existing > 0) return "duplicate";

    await insertNotifications(tx, planned);

    return "created";
  });
  log.debug({ grantId: data.grantId, endsAt: data.at, outcome }, "grant ending reminder job done");

  return outcome;
}
