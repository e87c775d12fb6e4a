import "server-only";

import type { AuditInput } from "@/lib/audit";
import type { Tx } from "@/lib/db";

import { readNotificationSettings } from "./config";
import { insertNotifications, scheduleGrantEndingReminder } from "./enqueue";
import { isNotifiedAction, loadNotificationEvent } from "./load-event";
import { planNotifications } from "./messages";

/**
 * Called by recordAudit for every audit event, inside its transaction: stores the notifications
 * the event implies, each with a send job, so they commit or roll back with the change. Sending
 * happens later in the worker; a failed delivery never touches the change itself.
 *
 * A channel that is not configured gets no rows at all: no email without SMTP_URL or
 * MAIL_OUTBOX_DIR, no webhook message without NOTIFY_WEBHOOK_URL.
 */
export async function enqueueNotifications(tx: Tx, audit: AuditInput): Promise<void> {
  const settings = readNotificationSettings();
  const email = settings.email !== null;
  const webhook = settings.webhookUrl !== null;
  if ((!email && !webhook) || !isNotifiedAction(audit.action)) return;

  const event = await loadNotificationEvent(tx, audit);
  if (event) {
    await insertNotifications(tx, planNotifications(event, { baseUrl: settings.baseUrl, email, webhook }));
  }

  if (audit.action === "request.approved" && audit.actor.id === null && audit.actor.label.startsWith("rule:")) {
    // A rule approves inside the transaction that created the request, so approvers have nothing
    // to review. Their request.created emails are deleted before this transaction commits, and
    // the send jobs then find no row and finish without sending.
    await tx.notification.deleteMany({
      where: { requestId: audit.subjectId, event: "request.created", channel: "EMAIL", status: "PENDING", attempts: 0 },
    });
  }

  if (email && event && (event.action === "grant.activated" || event.action === "grant.extended")) {
    const grant = await tx.grant.findUnique({ where: { id: event.grant.id }, select: { id: true, status: true, endsAt: true } });
    // A scheduled grant that is extended gets its reminder when it is activated, for the end it has then.
    if (grant?.status === "ACTIVE") await scheduleGrantEndingReminder(tx, grant, new Date());
  }
}
