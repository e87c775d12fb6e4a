import "server-only";

import { recordAudit, type AuditActor } from "@/lib/audit";
import type { Tx } from "@/lib/db";
import { grantWindowFor, MINUTE_MS } from "@/lib/domain/window";
import { AppError } from "@/lib/errors";
import type { AccessRequest, Prisma, Resource } from "@/lib/generated/prisma/client";
import { scheduleGrantEndRender, scheduleGrantExpiry, scheduleGrantJobs } from "@/lib/jobs/queue";

/** An approver's change to the window before approving; only ever within the resource's maximum. */
export type WindowAdjustment = { endsAt?: Date; durationMinutes?: number };

export type ApprovalResult =
  | { kind: "grant-created"; grantId: string; startsAt: Date; endsAt: Date }
  | { kind: "grant-extended"; grantId: string; previousEndsAt: Date; endsAt: Date };

/** Builds the filter for resources a user may review: named approvers and groups, or anyone when none are named. */
export function reviewerScope(userId: string): Prisma.ResourceWhereInput {
  return {
    OR: [
      { approvers: { none: {} }, approverGroups: { none: {} } },
      { approvers: { some: { userId } } },
      { approverGroups: { some: { group: { members: { some: { userId } } } } } },
    ],
  };
}

/**
 * Applies an approved decision in the caller's transaction (the request row is locked by the
 * caller): an ACCESS request creates its grant and schedules its jobs; an EXTENSION request moves
 * its grant's end. Activation and re-rendering at the target happen after the commit.
 */
export async function applyApproval(
  tx: Tx,
  request: AccessRequest & { resource: Resource },
  options: { actor: AuditActor; now: Date; adjustment?: WindowAdjustment; auditData?: Record<string, unknown> },
): Promise<ApprovalResult> {
  const { now, actor } = options;
  const audit = { actor, vendorId: request.vendorId, requestId: request.id };

  if (request.kind === "EXTENSION") {
    return applyExtension(tx, request, options);
  }

  const proposed = grantWindowFor(adjustedWindow(request, options.adjustment), now);
  if (!proposed) {
    throw new AppError("INVALID_STATE", "The requested window has already ended, so it can no longer be approved.");
  }
  assertWithinMaximum(proposed.endsAt.getTime() - proposed.startsAt.getTime(), request.resource.maxDurationMinutes);

  await tx.accessRequest.update({ where: { id: request.id }, data: { status: "APPROVED", decidedAt: now } });
  const grant = await tx.grant.create({
    data: {
      requestId: request.id,
      vendorId: request.vendorId,
      resourceId: request.resourceId,
      holderId: request.requesterId,
      accessLevel: request.accessLevel,
      startsAt: proposed.startsAt,
      endsAt: proposed.endsAt,
    },
  });
  await recordAudit(tx, {
    ...audit,
    action: "request.approved",
    subjectType: "request",
    subjectId: request.id,
    grantId: grant.id,
    data: {
      startsAt: proposed.startsAt.toISOString(),
      endsAt: proposed.endsAt.toISOString(),
      ...(options.adjustment ? { adjusted: true } : {}),
      ...options.auditData,
    },
  });
  await scheduleGrantJobs(tx, grant);

  return { kind: "grant-created", grantId: grant.id, startsAt: proposed.startsAt, endsAt: proposed.endsAt };
}

async function applyExtension(
  tx: Tx,
  request: AccessRequest & { resource: Resource },
  options: { actor: AuditActor; now: Date; adjustment?: WindowAdjustment; auditData?: Record<string, unknown> },
): Promise<ApprovalResult> {
  const { now, actor } = options;
  if (!request.extendsGrantId || !request.requestedEnd) throw new Error(`extension request ${request.id} has no grant or end`);

  await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${request.extendsGrantId} FOR UPDATE`;
  const grant = await tx.grant.findUniqueOrThrow({ where: { id: request.extendsGrantId } });
  if ((grant.status !== "ACTIVE" && grant.status !== "SCHEDULED") || grant.endsAt <= now) {
    throw new AppError("INVALID_STATE", "The grant this extension is for has already ended; the vendor has to request new access.");
  }
  const endsAt = options.adjustment?.endsAt ?? request.requestedEnd;
  if (endsAt <= grant.endsAt) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      fieldErrors: { endsAt: ["The new end must be later than the grant's current end."] },
    });
  }
  assertWithinMaximum(endsAt.getTime() - grant.startsAt.getTime(), request.resource.maxDurationMinutes);

  await tx.accessRequest.update({ where: { id: request.id }, data: { status: "APPROVED", decidedAt: now } });
  await tx.grant.update({ where: { id: grant.id }, data: { endsAt } });
  await recordAudit(tx, {
    actor,
    vendorId: request.vendorId,
    requestId: grant.requestId,
    grantId: grant.id,
    action: "grant.extended",
    subjectType: "grant",
    subjectId: grant.id,
    data: { extensionRequestId: request.id, previousEndsAt: grant.endsAt.toISOString(), endsAt: endsAt.toISOString(), ...options.auditData },
  });
  await recordAudit(tx, {
    actor,
    vendorId: request.vendorId,
    requestId: request.id,
    grantId: grant.id,
    action: "request.approved",
    subjectType: "request",
    subjectId: request.id,
    data: { endsAt: endsAt.toISOString(), ...options.auditData },
  });
  await scheduleGrantExpiry(tx, { id: grant.id, endsAt });
  await scheduleGrantEndRender(tx, { id: grant.id, endsAt });

  return { kind: "grant-extended", grantId: grant.id, previousEndsAt: grant.endsAt, endsAt };
}

function adjustedWindow(request: AccessRequest, adjustment: WindowAdjustment | undefined) {
  if (!adjustment) return request;
  if (request.windowKind === "RELATIVE" && adjustment.durationMinutes !== undefined) {
    return { ...request, durationMinutes: adjustment.durationMinutes };
  }
  if (request.windowKind === "FIXED" && adjustment.endsAt !== undefined) {
    if (request.requestedStart && adjustment.endsAt <= request.requestedStart) {
      throw new AppError("INVALID_INPUT", "Some fields need attention.", { fieldErrors: { endsAt: ["The end must be after the start."] } });
    }

    return { ...request, requestedEnd: adjustment.endsAt };
  }

  return request;
}

function assertWithinMaximum(durationMs: number, maxDurationMinutes: number) {
  if (durationMs > maxDurationMinutes * MINUTE_MS) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      fieldErrors: { endsAt: [`The window is longer than this resource allows (${maxDurationMinutes} minutes at most).`] },
    });
  }
}
