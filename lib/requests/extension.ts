import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { MAX_START_AHEAD_DAYS, MINUTE_MS } from "@/lib/domain/window";
import { AppError } from "@/lib/errors";
import { getGrantForActor } from "@/lib/grants/access";
import { parseInput } from "@/lib/zod-errors";

import { ZCreateExtensionInput, type CreateExtensionInput } from "./schemas";

/**
 * Asks for a later end on a live grant. The request goes through the same review rules as the
 * grant's own request; on approval the same grant's end moves, with no gap in access.
 */
export async function createExtensionRequest(actor: Actor, rawInput: CreateExtensionInput, now = new Date()) {
  const input = parseInput(ZCreateExtensionInput, rawInput);
  const grant = await getGrantForActor(actor, input.grantId);
  if (grant.holderId !== actor.id) {
    throw new AppError("FORBIDDEN", "Only the person who holds this grant can ask to extend it.");
  }
  if ((grant.status !== "ACTIVE" && grant.status !== "SCHEDULED") || grant.endsAt <= now) {
    throw new AppError("INVALID_STATE", "Only a scheduled or active grant can be extended. Request new access instead.");
  }

  const fieldError = (message: string) => new AppError("INVALID_INPUT", "Some fields need attention.", { fieldErrors: { endsAt: [message] } });
  if (input.endsAt <= grant.endsAt) throw fieldError("The new end must be later than the grant's current end.");
  if (input.endsAt.getTime() - grant.startsAt.getTime() > grant.resource.maxDurationMinutes * MINUTE_MS) {
    throw fieldError(`The whole grant would be longer than this resource allows (${grant.resource.maxDurationMinutes} minutes at most, counted from its start).`);
  }
  if (input.endsAt.getTime() > now.getTime() + MAX_START_AHEAD_DAYS * 24 * 60 * MINUTE_MS) {
    throw fieldError(`The new end is more than ${MAX_START_AHEAD_DAYS} days ahead.`);
  }

  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${grant.id} FOR UPDATE`;
    const pending = await tx.accessRequest.count({ where: { extendsGrantId: grant.id, status: "PENDING" } });
    if (pending > 0) throw new AppError("CONFLICT", "An extension of this grant is already waiting for review.");

    const request = await tx.accessRequest.create({
      data: {
        kind: "EXTENSION",
        extendsGrantId: grant.id,
        vendorId: grant.vendorId,
        requesterId: actor.id,
        resourceId: grant.resourceId,
        accessLevel: grant.accessLevel,
        windowKind: "FIXED",
        requestedStart: grant.endsAt,
        requestedEnd: input.endsAt,
        justification: input.justification,
      },
    });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "request.created",
      subjectType: "request",
      subjectId: request.id,
      vendorId: grant.vendorId,
      requestId: request.id,
      grantId: grant.id,
      data: { kind: "EXTENSION", currentEndsAt: grant.endsAt.toISOString(), requestedEnd: input.endsAt.toISOString() },
    });

    return request;
  });
}
