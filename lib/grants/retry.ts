import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { canTransitionGrant } from "@/lib/domain/transitions";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

import { activateGrant, type ActivationOutcome } from "./lifecycle";

export type RetryResult = {
  grantId: string;
  outcome: ActivationOutcome;
  /** The provisioning error when this attempt failed too; safe to show. */
  lastError: string | null;
};

/**
 * Gives a FAILED grant a fresh set of activation attempts: moves it back to SCHEDULED with its
 * attempt count at zero, records `grant.retry_requested`, and runs the activation at once. If that
 * attempt fails as well, the grant stays SCHEDULED and the sweep keeps retrying it until it is
 * FAILED again after MAX_ACTIVATION_ATTEMPTS attempts. Only admins may retry.
 */
export async function retryFailedGrant(actor: Actor, grantId: string, now = new Date()): Promise<RetryResult> {
  if (actor.role !== "ADMIN") throw new AppError("FORBIDDEN", "Only admins can retry a failed grant.");

  await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${grantId} FOR UPDATE`;
    const grant = await tx.grant.findUnique({ where: { id: grantId } });
    if (!grant) throw new AppError("NOT_FOUND", "Grant not found.");
    if (grant.status !== "FAILED" || !canTransitionGrant(grant.status, "SCHEDULED")) {
      throw new AppError("INVALID_STATE", `This grant is ${grant.status.toLowerCase()}, not failed, so there is nothing to retry.`);
    }
    if (grant.endsAt <= now) {
      throw new AppError("INVALID_STATE", "This grant's window has ended, so it can no longer be activated; the vendor has to request new access.");
    }

    await tx.grant.update({ where: { id: grantId }, data: { status: "SCHEDULED", attempts: 0 } });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "grant.retry_requested",
      subjectType: "grant",
      subjectId: grantId,
      vendorId: grant.vendorId,
      requestId: grant.requestId,
      grantId,
      data: { previousAttempts: grant.attempts, previousError: grant.lastError },
    });
  });
  log.info({ grantId, actorId: actor.id }, "failed grant retry requested");

  try {
    return { grantId, outcome: await activateGrant(grantId), lastError: null };
  } catch (error) {
    // A provisioning failure is stored on the grant (attempts back above zero) and logged by
    // activateGrant, so it is a result here. Anything else, such as a database error, is not.
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId }, select: { attempts: true, lastError: true } });
    if (grant.attempts === 0) throw error;

    return { grantId, outcome: "failed", lastError: grant.lastError };
  }
}

/**
 * Grants whose activation needs an admin's eye: FAILED ones, and due SCHEDULED ones whose last
 * attempt failed and that the worker is still retrying. Oldest start first.
 */
export async function listGrantsNeedingAttention(now = new Date()) {
  return db.grant.findMany({
    where: {
      OR: [{ status: "FAILED" }, { status: "SCHEDULED", lastError: { not: null }, startsAt: { lte: now } }],
    },
    orderBy: { startsAt: "asc" },
    take: 200,
    include: {
      resource: { select: { name: true, slug: true, kind: true } },
      vendor: { select: { name: true } },
      holder: { select: { name: true, email: true } },
    },
  });
}

/** Returns a grant's status and last error, for the outcome shown after a retry. */
export async function findRetriedGrant(grantId: string) {
  return db.grant.findUnique({ where: { id: grantId }, select: { id: true, status: true, lastError: true } });
}
