import "server-only";

import type { AuditInput } from "@/lib/audit";
import type { Tx } from "@/lib/db";
import { reviewerScope } from "@/lib/reviews/approve";

import { describeActor, type GrantFacts, type NotificationAction, type NotificationEvent, type Person, type RequestFacts } from "./messages";

const PERSON_SELECT = { id: true, name: true, email: true, disabledAt: true } as const;

// NOTE: Queries here include at most two relations and load people separately. With three
// includes, Prisma 7.10 with @prisma/adapter-pg ran the relation queries at once on the
// transaction's single connection, which pg 8 reports as a deprecated concurrent client.query().

const REQUEST_ACTIONS = new Set<string>(["request.created", "request.approved", "request.denied", "request.expired"]);
const GRANT_ACTIONS = new Set<string>(["grant.activated", "grant.expired", "grant.extended", "grant.revoked", "grant.failed"]);

/** Checks whether an audit action can cause notifications. Other actions are ignored before any query. */
export function isNotifiedAction(action: string): action is NotificationAction {
  return REQUEST_ACTIONS.has(action) || GRANT_ACTIONS.has(action);
}

/**
 * Loads what the messages for an audit event need, in the event's transaction, so it reads the
 * change being recorded. Returns null when the request or grant it names does not exist.
 */
export async function loadNotificationEvent(tx: Tx, audit: AuditInput): Promise<NotificationEvent | null> {
  if (REQUEST_ACTIONS.has(audit.action)) {
    const request = audit.subjectType === "request" ? await loadRequestFacts(tx, audit.subjectId) : null;
    if (!request) return null;

    switch (audit.action) {
      case "request.created":
        return { action: "request.created", request, approvers: await loadEligibleApprovers(tx, audit.subjectId) };
      case "request.approved":
        return { action: "request.approved", request, grant: await loadApprovedGrant(tx, request, audit.grantId), decidedBy: await actorName(tx, audit) };
      case "request.denied":
        return { action: "request.denied", request, decidedBy: await actorName(tx, audit), comments: await loadDenialComments(tx, request.id) };
      default:
        return { action: "request.expired", request };
    }
  }

  const grantId = audit.grantId ?? (audit.subjectType === "grant" ? audit.subjectId : null);
  const grant = grantId ? await loadGrantFacts(tx, grantId) : null;
  if (!grant) return null;
  const data = audit.data ?? {};

  switch (audit.action) {
    case "grant.activated":
      return { action: "grant.activated", grant };
    case "grant.expired":
      return { action: "grant.expired", grant };
    case "grant.extended":
      return { action: "grant.extended", grant, previousEndsAt: dateField(data, "previousEndsAt") };
    case "grant.revoked":
      return {
        action: "grant.revoked",
        grant,
        revokedBy: await actorName(tx, audit),
        revokedByHolder: audit.actor.id === grant.holder.id,
        reason: stringField(data, "reason") ?? grant.revokeReason,
      };
    case "grant.failed":
      return { action: "grant.failed", grant, reason: stringField(data, "reason") ?? grant.lastError };
    default:
      return null;
  }
}

async function loadRequestFacts(tx: Tx, requestId: string): Promise<RequestFacts | null> {
  const request = await tx.accessRequest.findUnique({
    where: { id: requestId },
    include: { resource: { select: { name: true } }, vendor: { select: { name: true } } },
  });
  if (!request) return null;
  const requester = await tx.user.findUniqueOrThrow({ where: { id: request.requesterId }, select: PERSON_SELECT });
  const extendsGrant = request.extendsGrantId
    ? await tx.grant.findUnique({ where: { id: request.extendsGrantId }, select: { id: true, endsAt: true } })
    : null;

  return {
    id: request.id,
    kind: request.kind,
    resourceName: request.resource.name,
    vendorName: request.vendor.name,
    requester: personOf(requester),
    accessLevel: request.accessLevel,
    windowKind: request.windowKind,
    requestedStart: request.requestedStart,
    requestedEnd: request.requestedEnd,
    durationMinutes: request.durationMinutes,
    justification: request.justification,
    extendsGrant,
  };
}

/** Loads a grant with its holder, for messages about it; also returns the fields reminders check. */
export async function loadGrantFacts(tx: Tx, grantId: string) {
  const grant = await tx.grant.findUnique({
    where: { id: grantId },
    include: { resource: { select: { name: true } }, vendor: { select: { name: true } } },
  });
  if (!grant) return null;
  const holder = await tx.user.findUniqueOrThrow({ where: { id: grant.holderId }, select: PERSON_SELECT });

  const facts: GrantFacts & { status: typeof grant.status; revokeReason: string | null; lastError: string | null } = {
    id: grant.id,
    resourceName: grant.resource.name,
    vendorName: grant.vendor.name,
    holder: personOf(holder),
    accessLevel: grant.accessLevel,
    startsAt: grant.startsAt,
    endsAt: grant.endsAt,
    status: grant.status,
    revokeReason: grant.revokeReason,
    lastError: grant.lastError,
  };

  return facts;
}

/**
 * Loads the people who may approve the request: enabled approvers and admins that reviewerScope
 * admits for its resource, never the requester.
 */
async function loadEligibleApprovers(tx: Tx, requestId: string): Promise<Person[]> {
  const request = await tx.accessRequest.findUniqueOrThrow({ where: { id: requestId }, select: { requesterId: true, resourceId: true } });
  const candidates = await tx.user.findMany({
    where: { role: { in: ["APPROVER", "ADMIN"] }, disabledAt: null, id: { not: request.requesterId } },
    select: PERSON_SELECT,
    orderBy: { email: "asc" },
  });

  // One check per candidate keeps reviewerScope the single definition of who may approve.
  const approvers: Person[] = [];
  for (const candidate of candidates) {
    const eligible = await tx.resource.count({ where: { id: request.resourceId, ...reviewerScope(candidate.id) } });
    if (eligible > 0) approvers.push(personOf(candidate));
  }

  return approvers;
}

async function loadApprovedGrant(tx: Tx, request: RequestFacts, grantId: string | null | undefined) {
  if (request.kind !== "ACCESS" || !grantId) return null;

  return tx.grant.findUnique({ where: { id: grantId }, select: { id: true, startsAt: true, endsAt: true } });
}

async function loadDenialComments(tx: Tx, requestId: string): Promise<string[]> {
  const reviews = await tx.review.findMany({
    where: { requestId, decision: "DENY" },
    orderBy: { createdAt: "asc" },
    select: { comment: true },
  });

  return reviews.map((review) => review.comment.trim()).filter((comment) => comment !== "");
}

async function actorName(tx: Tx, audit: AuditInput): Promise<string> {
  const user = audit.actor.id ? await tx.user.findUnique({ where: { id: audit.actor.id }, select: { name: true } }) : null;

  return describeActor({ label: audit.actor.label, name: user?.name ?? null });
}

function personOf(user: { id: string; name: string; email: string; disabledAt: Date | null }): Person & { id: string } {
  return { id: user.id, name: user.name, email: user.email, disabled: user.disabledAt !== null };
}

function stringField(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];

  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function dateField(data: Record<string, unknown>, key: string): Date | null {
  const value = stringField(data, key);
  const date = value ? new Date(value) : null;

  return date && !Number.isNaN(date.getTime()) ? date : null;
}
