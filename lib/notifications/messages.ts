// Turns workflow events into email and webhook messages. Pure: the caller loads the facts.
// Messages carry names, resources, windows, reasons and links only: never credentials, presigned
// URLs or the webhook URL. Times are written in UTC.

import { formatMinutes } from "@/lib/domain/window";
import { formatDateTime, formatDuration, formatWindow } from "@/lib/format-time";
import type { NotificationChannel, RequestKind, WindowKind } from "@/lib/generated/prisma/enums";

/** The `recipient` stored for webhook messages, in place of the URL, which may contain a secret. */
export const WEBHOOK_RECIPIENT = "webhook";

/** How long before a grant's end its holder gets a reminder. */
export const REMINDER_LEAD_MS = 15 * 60_000;

export type Person = { name: string; email: string; disabled: boolean };

export type RequestFacts = {
  id: string;
  kind: RequestKind;
  resourceName: string;
  vendorName: string;
  requester: Person & { id: string };
  accessLevel: string;
  windowKind: WindowKind;
  requestedStart: Date | null;
  requestedEnd: Date | null;
  durationMinutes: number | null;
  justification: string;
  /** EXTENSION only: the grant whose end the request moves, with its end when the request was made. */
  extendsGrant: { id: string; endsAt: Date } | null;
};

export type GrantFacts = {
  id: string;
  resourceName: string;
  vendorName: string;
  holder: Person & { id: string };
  accessLevel: string;
  startsAt: Date;
  endsAt: Date;
};

/** An audit action with the facts its messages need. Names of actors are display names, never emails. */
export type NotificationEvent =
  | { action: "request.created"; request: RequestFacts; approvers: Person[] }
  | { action: "request.approved"; request: RequestFacts; grant: { id: string; startsAt: Date; endsAt: Date } | null; decidedBy: string }
  | { action: "request.denied"; request: RequestFacts; decidedBy: string; comments: string[] }
  | { action: "request.expired"; request: RequestFacts }
  | { action: "grant.activated"; grant: GrantFacts }
  | { action: "grant.expired"; grant: GrantFacts }
  | { action: "grant.extended"; grant: GrantFacts; previousEndsAt: Date | null }
  | { action: "grant.revoked"; grant: GrantFacts; revokedBy: string; revokedByHolder: boolean; reason: string | null }
  | { action: "grant.failed"; grant: GrantFacts; reason: string | null }
  | { action: "grant.ending_soon"; grant: GrantFacts; now: Date };

export type NotificationAction = NotificationEvent["action"];

/** A row to insert into Notification. */
export type PlannedNotification = {
  channel: NotificationChannel;
  recipient: string;
  subject: string;
  body: string;
  event: NotificationAction;
  requestId: string | null;
  grantId: string | null;
};

export type PlanOptions = {
  /** Portal base URL without a trailing slash. */
  baseUrl: string;
  email: boolean;
  webhook: boolean;
};

type Email = { to: Person; subject: string; body: string };
/** `text` is the webhook message; `subject` names it on the admin page. */
type WebhookMessage = { subject: string; text: string };
type Messages = { emails: Email[]; webhook: WebhookMessage | null };

/**
 * Plans the notifications for one event: emails to the people it concerns (disabled users and
 * repeated addresses left out) and at most one webhook message, for the enabled channels only.
 */
export function planNotifications(event: NotificationEvent, options: PlanOptions): PlannedNotification[] {
  const links = linksFor(options.baseUrl);
  const messages = buildMessages(event, links);
  const { requestId, grantId } = subjectIdsOf(event);
  const planned: PlannedNotification[] = [];

  if (options.email) {
    const seen = new Set<string>();
    for (const email of messages.emails) {
      const address = email.to.email.toLowerCase();
      if (email.to.disabled || seen.has(address)) continue;
      seen.add(address);
      planned.push({ channel: "EMAIL", recipient: address, subject: email.subject, body: email.body, event: event.action, requestId, grantId });
    }
  }

  if (options.webhook && messages.webhook !== null) {
    const { subject, text } = messages.webhook;
    planned.push({ channel: "WEBHOOK", recipient: WEBHOOK_RECIPIENT, subject, body: escapeSlackText(text), event: event.action, requestId, grantId });
  }

  return planned;
}

/**
 * Escapes the three characters Slack treats as markup in message text, so a name or reason
 * cannot form a link or an @channel mention.
 */
export function escapeSlackText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Names an actor for a message: the user's display name, or a phrase for the portal itself.
 * Never returns the email in an actor label such as "user:alice@example.com".
 */
export function describeActor(actor: { label: string; name: string | null }): string {
  if (actor.name) return actor.name;
  if (actor.label.startsWith("rule:")) return "the resource's auto-approval rule";
  if (actor.label.startsWith("system:")) return "the portal";

  return "a portal user";
}

type Links = { request: (id: string) => string; grant: (id: string) => string };

function linksFor(baseUrl: string): Links {
  const base = baseUrl.replace(/\/+$/, "");

  return {
    request: (id) => `${base}/requests/${encodeURIComponent(id)}`,
    grant: (id) => `${base}/grants/${encodeURIComponent(id)}`,
  };
}

function subjectIdsOf(event: NotificationEvent): { requestId: string | null; grantId: string | null } {
  if ("request" in event) {
    const grantId = event.action === "request.approved" ? (event.grant?.id ?? null) : (event.request.extendsGrant?.id ?? null);

    return { requestId: event.request.id, grantId };
  }

  return { requestId: null, grantId: event.grant.id };
}

function buildMessages(event: NotificationEvent, links: Links): Messages {
  switch (event.action) {
    case "request.created":
      return requestCreatedMessages(event.request, event.approvers, links);
    case "request.approved":
      return requestApprovedMessages(event.request, event.grant, event.decidedBy, links);
    case "request.denied":
      return requestDeniedMessages(event.request, event.decidedBy, event.comments, links);
    case "request.expired":
      return requestExpiredMessages(event.request, links);
    default:
      return grantMessages(event, links);
  }
}

function requestCreatedMessages(request: RequestFacts, approvers: Person[], links: Links): Messages {
  const url = links.request(request.id);
  const requesterLabel = `${request.requester.name} (${request.vendorName})`;
  const isExtension = request.kind === "EXTENSION";
  const ask = isExtension
    ? `${requesterLabel} asks to extend their ${request.accessLevel} access to ${request.resourceName}.`
    : `${requesterLabel} asks for ${request.accessLevel} access to ${request.resourceName}.`;
  const window = isExtension
    ? [`Current end: ${utc(request.extendsGrant?.endsAt ?? request.requestedStart)}`, `Requested end: ${utc(request.requestedEnd)}`]
    : [`Window: ${describeRequestWindow(request)}`];
  const subject = `${isExtension ? "Review extension request" : "Review access request"}: ${request.resourceName} for ${request.vendorName}`;

  const emails = approvers.map((approver) => ({
    to: approver,
    subject,
    body: paragraphs(
      [`Hello ${approver.name},`],
      [ask, ...window, `Justification: ${request.justification}`],
      [`Review the request: ${url}`],
      [`You get this email because you may approve requests for ${request.resourceName}.`],
    ),
  }));
  const webhook = {
    subject: `${isExtension ? "New extension request" : "New access request"}: ${request.resourceName} for ${request.vendorName}`,
    text: isExtension
      ? `New extension request: ${requesterLabel} asks to extend ${request.accessLevel} access to ${request.resourceName} until ${utc(request.requestedEnd)}. Review: ${url}`
      : `New access request: ${requesterLabel} asks for ${request.accessLevel} access to ${request.resourceName}, ${describeRequestWindow(request)}. Review: ${url}`,
  };

  return { emails, webhook };
}

function requestApprovedMessages(request: RequestFacts, grant: { id: string; startsAt: Date; endsAt: Date } | null, decidedBy: string, links: Links): Messages {
  const webhook = {
    subject: `${kindLabel(request)} approved: ${request.resourceName} for ${request.vendorName}`,
    text: `${kindLabel(request)} approved by ${decidedBy}: ${request.requester.name} (${request.vendorName}), ${request.accessLevel} access to ${request.resourceName}. ${links.request(request.id)}`,
  };
  // An approved extension also records grant.extended, whose email gives the holder the new end.
  if (request.kind === "EXTENSION") return { emails: [], webhook };

  const body = paragraphs(
    [`Hello ${request.requester.name},`],
    [
      `Your request for ${request.accessLevel} access to ${request.resourceName} was approved by ${decidedBy}.`,
      ...(grant ? [`Window: ${formatWindow(grant.startsAt, grant.endsAt, "UTC")}`] : []),
    ],
    [grant ? `Open the grant for credentials and details: ${links.grant(grant.id)}` : `Details: ${links.request(request.id)}`],
  );

  return { emails: [{ to: request.requester, subject: `Access approved: ${request.resourceName}`, body }], webhook };
}

function requestDeniedMessages(request: RequestFacts, decidedBy: string, comments: string[], links: Links): Messages {
  const url = links.request(request.id);
  const body = paragraphs(
    [`Hello ${request.requester.name},`],
    [
      `Your ${request.kind === "EXTENSION" ? "extension request" : "request"} for ${request.accessLevel} access to ${request.resourceName} was denied by ${decidedBy}.`,
      ...comments.map((comment) => `Reason: ${comment}`),
    ],
    [`Details: ${url}`],
  );
  const webhook = {
    subject: `${kindLabel(request)} denied: ${request.resourceName} for ${request.vendorName}`,
    text: `${kindLabel(request)} denied by ${decidedBy}: ${request.requester.name} (${request.vendorName}), ${request.accessLevel} access to ${request.resourceName}. ${url}`,
  };

  return { emails: [{ to: request.requester, subject: `${kindLabel(request)} denied: ${request.resourceName}`, body }], webhook };
}

function requestExpiredMessages(request: RequestFacts, links: Links): Messages {
  const body = paragraphs(
    [`Hello ${request.requester.name},`],
    [
      `Your ${request.kind === "EXTENSION" ? "extension request" : "request"} for ${request.accessLevel} access to ${request.resourceName} expired before anyone decided on it.`,
      "Send a new request if you still need access.",
    ],
    [`Details: ${links.request(request.id)}`],
  );

  return { emails: [{ to: request.requester, subject: `${kindLabel(request)} expired: ${request.resourceName}`, body }], webhook: null };
}

type GrantEvent = Extract<NotificationEvent, { grant: GrantFacts }>;

function grantMessages(event: GrantEvent, links: Links): Messages {
  const grant = event.grant;
  const url = links.grant(grant.id);
  const access = `${grant.accessLevel} access to ${grant.resourceName}`;
  const email = (subject: string, ...lines: string[]): Email => ({
    to: grant.holder,
    subject: `${subject}: ${grant.resourceName}`,
    body: paragraphs([`Hello ${grant.holder.name},`], lines, [`Grant: ${url}`]),
  });

  switch (event.action) {
    case "grant.activated":
      return { emails: [email("Access is active", `Your ${access} is active until ${utc(grant.endsAt)}.`, "Open the grant for credentials and details.")], webhook: null };
    case "grant.expired":
      return { emails: [email("Access ended", `Your ${access} ended at ${utc(grant.endsAt)}.`, "Send a new request if you need more time.")], webhook: null };
    case "grant.extended":
      return {
        emails: [
          email("Access extended", `Your ${access} now ends at ${utc(grant.endsAt)}${event.previousEndsAt ? `, instead of ${utc(event.previousEndsAt)}` : ""}.`),
        ],
        webhook: null,
      };
    case "grant.revoked": {
      const reason = event.reason ? [`Reason: ${event.reason}`] : [];
      // Holders who end their own grant get no email about it, but the webhook still gets a message.
      const emails = event.revokedByHolder ? [] : [email("Access revoked", `Your ${access} was revoked by ${event.revokedBy}.`, ...reason)];
      const webhook = {
        subject: `Access revoked: ${grant.resourceName} for ${grant.vendorName}`,
        text: `Access revoked by ${event.revokedBy}: ${grant.holder.name} (${grant.vendorName}), ${access}.${event.reason ? ` Reason: ${event.reason}` : ""} ${url}`,
      };

      return { emails, webhook };
    }
    case "grant.failed": {
      const reason = event.reason ?? "no error was recorded";
      const emails = [email("Access could not be set up", `The portal could not set up your ${access} and has stopped trying.`, `Error: ${reason}`, "An admin has to look at it before access can start.")];
      const webhook = {
        subject: `Provisioning failed: ${grant.resourceName} for ${grant.vendorName}`,
        text: `Provisioning failed: ${grant.holder.name} (${grant.vendorName}), ${access}. Error: ${reason} ${url}`,
      };

      return { emails, webhook };
    }
    case "grant.ending_soon": {
      // The subject names the end itself, so a repeated reminder for the same end is easy to detect.
      const remaining = formatDuration(Math.max(0, grant.endsAt.getTime() - event.now.getTime()));
      const reminder = email(
        `Access ends at ${utc(grant.endsAt)}`,
        `Your ${access} ends in ${remaining}, at ${utc(grant.endsAt)}.`,
        "If you need more time, request an extension on the grant page.",
      );

      return { emails: [reminder], webhook: null };
    }
  }
}

function kindLabel(request: RequestFacts): string {
  return request.kind === "EXTENSION" ? "Extension request" : "Access request";
}

function describeRequestWindow(request: RequestFacts): string {
  if (request.windowKind === "RELATIVE") return `${formatMinutes(request.durationMinutes ?? 0)} from approval`;
  if (request.requestedStart && request.requestedEnd) return formatWindow(request.requestedStart, request.requestedEnd, "UTC");

  return "window not recorded";
}

function utc(value: Date | null): string {
  return value ? formatDateTime(value, "UTC") : "not recorded";
}

/** Joins groups of lines into a plain-text body, with a blank line between groups. */
function paragraphs(...groups: string[][]): string {
  return `${groups
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join("\n"))
    .join("\n\n")}\n`;
}
