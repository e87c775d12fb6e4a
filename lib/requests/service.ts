import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import { vendorIdOf, type Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db";
import { toRequestedWindow, validateRequestedWindow, type RequestedWindow } from "@/lib/domain/window";
import { AppError, type FieldErrors } from "@/lib/errors";
import { revokeGrant } from "@/lib/grants/lifecycle";
import type { Prisma } from "@/lib/generated/prisma/client";
import { applyApproval, type ApprovalResult } from "@/lib/reviews/approve";
import { finishApproval } from "@/lib/reviews/service";
import { parseInput } from "@/lib/zod-errors";

import { ZCreateRequestInput, type CreateRequestInput } from "./schemas";

/** Where-clause that limits requests to what the actor may see: vendor users see their vendor's only. */
export function requestScope(actor: Actor): Prisma.AccessRequestWhereInput {
  if (actor.role === "VENDOR") return { vendorId: vendorIdOf(actor) };

  return {};
}

/** Resources offered to the actor's vendor, for the new-request form. */
export async function listRequestableResources(actor: Actor) {
  const vendorId = vendorIdOf(actor);

  return db.resource.findMany({
    where: { vendors: { some: { vendorId } } },
    orderBy: { name: "asc" },
    select: { id: true, name: true, description: true, kind: true, accessLevels: true, maxDurationMinutes: true },
  });
}

export async function listRequestsForActor(actor: Actor) {
  return db.accessRequest.findMany({
    where: requestScope(actor),
    orderBy: { createdAt: "desc" },
    take: 200,
    include: {
      resource: { select: { name: true, kind: true } },
      requester: { select: { name: true, email: true } },
      grant: { select: { id: true, status: true, startsAt: true, endsAt: true } },
    },
  });
}

/** Loads one request within the actor's scope; another vendor's request is "not found". */
export async function getRequestForActor(actor: Actor, requestId: string) {
  const request = await db.accessRequest.findFirst({
    where: { id: requestId, ...requestScope(actor) },
    include: {
      resource: { select: { id: true, name: true, kind: true, requiredApprovals: true, maxDurationMinutes: true } },
      vendor: { select: { id: true, name: true } },
      requester: { select: { id: true, name: true, email: true } },
      reviews: { orderBy: { createdAt: "asc" }, include: { reviewer: { select: { name: true, email: true } } } },
      grant: true,
    },
  });
  if (!request) throw new AppError("NOT_FOUND", "Request not found.");

  return request;
}

/** History of a request and its grant, from the audit log, oldest first. */
export async function listRequestHistory(actor: Actor, requestId: string) {
  await getRequestForActor(actor, requestId);

  return db.auditEvent.findMany({
    where: { requestId },
    orderBy: { seq: "asc" },
    select: { seq: true, at: true, action: true, actorLabel: true, data: true },
  });
}

export async function createRequest(actor: Actor, rawInput: CreateRequestInput, now = new Date()) {
  const vendorId = vendorIdOf(actor);
  const input = parseInput(ZCreateRequestInput, rawInput);

  // Unknown and foreign resources get the same error, so ids of other vendors' resources leak nothing.
  const resource = await db.resource.findFirst({
    where: { id: input.resourceId, vendors: { some: { vendorId } } },
  });
  if (!resource) {
    throw invalid({ resourceId: ["Choose one of the resources offered to your organisation."] });
  }
  if (!resource.accessLevels.includes(input.accessLevel)) {
    throw invalid({ accessLevel: [`Choose one of: ${resource.accessLevels.join(", ")}.`] });
  }

  const window = toRequestedWindow(input, now);
  if (!("kind" in window)) throw invalid(asFieldErrors(window));
  const windowErrors = validateRequestedWindow(window, resource.maxDurationMinutes, now);
  if (Object.keys(windowErrors).length > 0) throw invalid(asFieldErrors(windowErrors));

  const autoApproved = matchesAutoApproval(resource, input.accessLevel, window);
  let approval: ApprovalResult | null = null;

  const created = await db.$transaction(async (tx) => {
    const request = await tx.accessRequest.create({
      data: {
        vendorId,
        requesterId: actor.id,
        resourceId: resource.id,
        accessLevel: input.accessLevel,
        windowKind: window.kind,
        requestedStart: window.kind === "FIXED" ? window.start : null,
        requestedEnd: window.kind === "FIXED" ? window.end : null,
        durationMinutes: window.kind === "RELATIVE" ? window.durationMinutes : null,
        justification: input.justification,
      },
    });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "request.created",
      subjectType: "request",
      subjectId: request.id,
      vendorId,
      requestId: request.id,
      data: {
        resourceId: resource.id,
        accessLevel: input.accessLevel,
        windowKind: window.kind,
        requestedStart: request.requestedStart?.toISOString() ?? null,
        requestedEnd: request.requestedEnd?.toISOString() ?? null,
        durationMinutes: request.durationMinutes,
      },
    });
    if (!autoApproved) return request;

    // Recorded as approved by the rule, never by a person; the resource's maximum still applied above.
    approval = await applyApproval(tx, { ...request, resource }, {
      actor: AUTO_APPROVAL_RULE,
      now,
      auditData: { rule: "auto-approve", levels: resource.autoApproveLevels, maxMinutes: resource.autoApproveMaxMinutes },
    });

    return tx.accessRequest.findUniqueOrThrow({ where: { id: request.id } });
  });
  if (approval) await finishApproval(approval);

  return created;
}

const AUTO_APPROVAL_RULE = { id: null, label: "rule:auto-approve" };

/** Returns whether a request falls under the resource's auto-approval rule: a listed level, and short enough. */
export function matchesAutoApproval(
  resource: { autoApproveLevels: string[]; autoApproveMaxMinutes: number | null },
  accessLevel: string,
  window: RequestedWindow,
): boolean {
  if (resource.autoApproveMaxMinutes === null || !resource.autoApproveLevels.includes(accessLevel)) return false;
  const minutes = window.kind === "RELATIVE" ? window.durationMinutes : (window.end.getTime() - window.start.getTime()) / 60_000;

  return minutes <= resource.autoApproveMaxMinutes;
}

/**
 * Cancels a request. Only its requester (or an admin) may cancel it. A pending request becomes
 * CANCELLED; an approved one keeps its decision, and its live grant is revoked.
 */
export async function cancelRequest(actor: Actor, requestId: string) {
  const scope = actor.role === "ADMIN" ? {} : { requesterId: actor.id, ...requestScope(actor) };
  const existing = await db.accessRequest.findFirst({ where: { id: requestId, ...scope }, include: { grant: true } });
  if (!existing) throw new AppError("NOT_FOUND", "Request not found.");
  const grant = existing.grant;
  if (existing.status === "APPROVED" && grant && ["SCHEDULED", "ACTIVE", "FAILED"].includes(grant.status)) {
    await revokeGrant(grant.id, { actor: userActor(actor), reason: "The request was cancelled." });

    return db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
  }

  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string; status: string; vendorId: string }[]>`
      SELECT id, status::text AS status, "vendorId" FROM "AccessRequest" WHERE id = ${requestId} FOR UPDATE`;
    const request = locked ? await tx.accessRequest.findFirst({ where: { id: requestId, ...scope } }) : null;
    if (!locked || !request) throw new AppError("NOT_FOUND", "Request not found.");
    if (request.status !== "PENDING") {
      throw new AppError("INVALID_STATE", `This request is ${request.status.toLowerCase()} and can no longer be cancelled.`);
    }

    const updated = await tx.accessRequest.update({
      where: { id: requestId },
      data: { status: "CANCELLED", decidedAt: new Date() },
    });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "request.cancelled",
      subjectType: "request",
      subjectId: requestId,
      vendorId: request.vendorId,
      requestId,
    });

    return updated;
  });
}

function asFieldErrors(errors: Record<string, string | undefined>): FieldErrors {
  const result: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    if (message) result[field] = [message];
  }

  return result;
}

function invalid(fieldErrors: FieldErrors): AppError {
  return new AppError("INVALID_INPUT", "Some fields need attention.", { fieldErrors });
}
