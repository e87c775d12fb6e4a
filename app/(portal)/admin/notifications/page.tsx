import { BellOff } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";

import { Alert } from "@/components/ui/alert";
import { Badge, type BadgeProps } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import type { Notification } from "@/lib/generated/prisma/client";
import { listNotificationsForAdmin, type ChannelStatus } from "@/lib/notifications/admin";

import { RetryNotificationButton } from "./retry-button";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage() {
  const actor = await requirePageActor(["ADMIN"], "/admin/notifications");
  const { failed, recent, channels, limits } = await listNotificationsForAdmin(actor);

  return (
    <>
      <PageHeader
        title="Notifications"
        description="Emails and webhook messages about requests and grants, sent by the worker with retries. Failed deliveries come first; retry them once the cause is fixed."
      />
      <ChannelAlert channels={channels} />

      {failed.length > 0 ? (
        <section aria-labelledby="failed-heading" className="mb-8 grid gap-3">
          <h2 id="failed-heading" className="text-lg font-semibold">
            Failed ({failed.length === limits.failed ? `latest ${limits.failed}` : failed.length})
          </h2>
          <Table aria-labelledby="failed-heading">
            <TableHeader>
              <TableRow>
                <TableHead>Created</TableHead>
                <TableHead>To</TableHead>
                <TableHead>Subject</TableHead>
                <TableHead>Attempts</TableHead>
                <TableHead>Error</TableHead>
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {failed.map((notification) => (
                <TableRow key={notification.id}>
                  <TableCell className="text-sm">
                    <LocalTime value={notification.createdAt.toISOString()} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <Recipient notification={notification} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <Subject notification={notification} />
                  </TableCell>
                  <TableCell className="text-sm">{notification.attempts}</TableCell>
                  <TableCell className="max-w-md text-sm break-words text-error-foreground">{notification.lastError ?? "No error was recorded."}</TableCell>
                  <TableCell>
                    <RetryNotificationButton notificationId={notification.id} label={notification.subject} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </section>
      ) : null}

      <section aria-labelledby="recent-heading" className="grid gap-3">
        <h2 id="recent-heading" className="text-lg font-semibold">
          Recent
        </h2>
        {recent.length === 0 ? (
          <EmptyState
            icon={BellOff}
            headingLevel="h3"
            title="No notifications yet"
            description="New requests, decisions and grant changes create notifications here once email or the webhook is configured."
          />
        ) : (
          <Table aria-labelledby="recent-heading">
            <TableHeader>
              <TableRow>
                <TableHead>Created</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>To</TableHead>
                <TableHead>Subject</TableHead>
                <TableHead>Attempts</TableHead>
                <TableHead>Sent or last error</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {recent.map((notification) => (
                <TableRow key={notification.id}>
                  <TableCell className="text-sm">
                    <LocalTime value={notification.createdAt.toISOString()} />
                  </TableCell>
                  <TableCell>
                    <NotificationStatusBadge notification={notification} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <Recipient notification={notification} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <Subject notification={notification} />
                  </TableCell>
                  <TableCell className="text-sm">{notification.attempts}</TableCell>
                  <TableCell className="max-w-md text-sm break-words">
                    {notification.sentAt ? <LocalTime value={notification.sentAt.toISOString()} /> : (notification.lastError ?? "Waiting for the worker")}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </section>
    </>
  );
}

function ChannelAlert({ channels }: { channels: ChannelStatus }) {
  const email =
    channels.email.kind === "smtp"
      ? "Email goes out over SMTP (SMTP_URL)."
      : channels.email.kind === "outbox"
        ? `Email is written as .eml files to ${channels.email.dir} (MAIL_OUTBOX_DIR), not sent.`
        : "Email is off: set SMTP_URL, or MAIL_OUTBOX_DIR for local files.";
  const webhook = channels.webhook === "on" ? "The webhook (NOTIFY_WEBHOOK_URL) is on." : "The webhook is off: set NOTIFY_WEBHOOK_URL to turn it on.";
  const off = channels.email.kind === "off" && channels.webhook === "off";

  return (
    <Alert variant={off ? "warning" : "info"} title={off ? "Notifications are off" : "Channels"} className="mb-6">
      {email} {webhook} The worker sends with its own settings, which should match these.
    </Alert>
  );
}

const STATUS_BADGES: Record<"sent" | "queued" | "retrying" | "failed", { label: string; variant: NonNullable<BadgeProps["variant"]> }> = {
  sent: { label: "Sent", variant: "success" },
  queued: { label: "Queued", variant: "info" },
  retrying: { label: "Retrying", variant: "warning" },
  failed: { label: "Failed", variant: "error" },
};

function NotificationStatusBadge({ notification }: { notification: Notification }) {
  const style = STATUS_BADGES[displayStateOf(notification)];

  return <Badge variant={style.variant}>{style.label}</Badge>;
}

/** Maps a row to its badge: a PENDING row with an error is between retries. */
function displayStateOf(notification: Notification): keyof typeof STATUS_BADGES {
  if (notification.status === "SENT") return "sent";
  if (notification.status === "FAILED") return "failed";

  return notification.lastError ? "retrying" : "queued";
}

function Recipient({ notification }: { notification: Notification }) {
  if (notification.channel === "WEBHOOK") return <Badge variant="outline">Webhook</Badge>;

  return <span className="break-all">{notification.recipient}</span>;
}

function Subject({ notification }: { notification: Notification }) {
  const href = pageOf(notification);

  return (
    <div className="grid gap-0.5">
      {href ? (
        <Link href={href} className="font-medium underline-offset-4 hover:underline">
          {notification.subject}
        </Link>
      ) : (
        <span className="font-medium">{notification.subject}</span>
      )}
      <span className="font-mono text-xs text-muted-foreground">{notification.event}</span>
    </div>
  );
}

/** Returns the page a notification is about: the request for request events, else the grant. */
function pageOf(notification: Notification): string | null {
  if (notification.event.startsWith("request.") && notification.requestId) return `/requests/${notification.requestId}`;
  if (notification.grantId) return `/grants/${notification.grantId}`;
  if (notification.requestId) return `/requests/${notification.requestId}`;

  return null;
}
