import "server-only";

import { recordAudit, SYSTEM_WORKER } from "@/lib/audit";
import { db } from "@/lib/db";
import { errorFields, log } from "@/lib/log";

import { activateGrant, expireGrant } from "./lifecycle";

/** A RELATIVE ("as soon as approved") request left pending this long expires. */
export const RELATIVE_REQUEST_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const SWEEP_BATCH = 500;

export type SweepResult = { activated: number; expired: number; requestsExpired: number; errors: number };

/**
 * Safety net behind the per-grant jobs: activates grants whose start has passed, expires grants
 * whose end has passed, and expires pending requests that can no longer be approved.
 */
export async function sweepDueGrants(now = new Date()): Promise<SweepResult> {
  const result: SweepResult = { activated: 0, expired: 0, requestsExpired: 0, errors: 0 };

  const ending = await db.grant.findMany({
    where: { status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] }, endsAt: { lte: now } },
    select: { id: true },
    orderBy: { endsAt: "asc" },
    take: SWEEP_BATCH,
  });
  for (const { id } of ending) {
    try {
      if ((await expireGrant(id, now, { skipLocked: true })) === "ended") result.expired += 1;
    } catch (error) {
      result.errors += 1;
      log.error({ grantId: id, ...errorFields(error) }, "sweep could not expire grant");
    }
  }

  const starting = await db.grant.findMany({
    where: { status: "SCHEDULED", startsAt: { lte: now }, endsAt: { gt: now } },
    select: { id: true },
    orderBy: { startsAt: "asc" },
    take: SWEEP_BATCH,
  });
  for (const { id } of starting) {
    try {
      if ((await activateGrant(id, now)) === "activated") result.activated += 1;
    } catch (error) {
      result.errors += 1;
      log.error({ grantId: id, ...errorFields(error) }, "sweep could not activate grant");
    }
  }

  result.requestsExpired = await expireStalePendingRequests(now);

  return result;
}

async function expireStalePendingRequests(now: Date): Promise<number> {
  const relativeCutoff = new Date(now.getTime() - RELATIVE_REQUEST_TTL_MS);
  const stale = await db.accessRequest.findMany({
    where: {
      status: "PENDING",
      OR: [
        { windowKind: "FIXED", requestedEnd: { lte: now } },
        { windowKind: "RELATIVE", createdAt: { lte: relativeCutoff } },
        // An extension can no longer be approved once its grant has ended.
        { kind: "EXTENSION", extends: { OR: [{ status: { in: ["EXPIRED", "REVOKED"] } }, { endsAt: { lte: now } }] } },
      ],
    },
    select: { id: true, vendorId: true },
    take: SWEEP_BATCH,
  });

  let count = 0;
  for (const request of stale) {
    const changed = await db.$transaction(async (tx) => {
      const { count: updated } = await tx.accessRequest.updateMany({
        where: { id: request.id, status: "PENDING" },
        data: { status: "EXPIRED", decidedAt: now },
      });
      if (updated === 0) return false;
      await recordAudit(tx, {
        actor: SYSTEM_WORKER,
        action: "request.expired",
        subjectType: "request",
        subjectId: request.id,
        vendorId: request.vendorId,
        requestId: request.id,
      });

      return true;
    });
    if (changed) count += 1;
  }

  return count;
}
