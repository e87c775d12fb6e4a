import "server-only";

import { recordAudit, SYSTEM_WORKER, type AuditActor } from "@/lib/audit";
import { backendFor, type GrantContext } from "@/lib/backends/registry";
import { db, type Tx } from "@/lib/db";
import { canTransitionGrant } from "@/lib/domain/transitions";
import { AppError } from "@/lib/errors";
import type { GrantStatus } from "@/lib/generated/prisma/enums";
import { errorFields, log } from "@/lib/log";

/** Activation attempts before a grant is marked FAILED for an admin to look at. */
export const MAX_ACTIVATION_ATTEMPTS = 5;

// Provisioning talks to the target inside the transaction that holds the grant's row lock,
// so it gets more time than Prisma's 5 s default.
const LIFECYCLE_TX = { timeout: 60_000, maxWait: 10_000 } as const;

export type ActivationOutcome = "activated" | "already-active" | "not-due" | "ended" | "final" | "failed" | "awaiting-retry";

async function lockGrant(tx: Tx, grantId: string) {
  await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${grantId} FOR UPDATE`;

  return tx.grant.findUnique({ where: { id: grantId }, include: { resource: true, vendor: true } });
}

/**
 * Provisions a grant whose start has come. Safe to call many times and from several workers:
 * the row lock makes exactly one caller activate it, and the others see the new state.
 */
export async function activateGrant(grantId: string, now = new Date()): Promise<ActivationOutcome> {
  let failure: unknown;

  const outcome = await db.$transaction(async (tx): Promise<ActivationOutcome> => {
    const grant = await lockGrant(tx, grantId);
    if (!grant) throw new AppError("NOT_FOUND", `Grant ${grantId} not found.`);
    if (grant.status === "ACTIVE") return "already-active";
    if (grant.status === "EXPIRED" || grant.status === "REVOKED") return "final";
    // A FAILED grant waits for an admin's retry (which moves it back to SCHEDULED), so jobs still
    // retrying an activation stop here.
    if (grant.status === "FAILED") return "awaiting-retry";
    if (grant.endsAt <= now) return "ended";
    if (grant.startsAt > now) return "not-due";

    try {
      const { targetName } = await backendFor(grant.resource).activate({ ...contextOf(grant), tx });
      await tx.grant.update({
        where: { id: grantId },
        data: { status: "ACTIVE", activatedAt: now, targetName, lastError: null, attempts: { increment: 1 } },
      });
      await recordAudit(tx, {
        actor: SYSTEM_WORKER,
        action: "grant.activated",
        subjectType: "grant",
        subjectId: grantId,
        vendorId: grant.vendorId,
        requestId: grant.requestId,
        grantId,
        data: { targetName, startsAt: grant.startsAt.toISOString(), endsAt: grant.endsAt.toISOString() },
      });

      return "activated";
    } catch (error) {
      failure = error;
      const attempts = grant.attempts + 1;
      const status: GrantStatus = attempts >= MAX_ACTIVATION_ATTEMPTS ? "FAILED" : grant.status;
      const reason = safeReason(error);
      await tx.grant.update({ where: { id: grantId }, data: { status, attempts, lastError: reason } });
      await recordAudit(tx, {
        actor: SYSTEM_WORKER,
        action: status === "FAILED" ? "grant.failed" : "grant.activation_retry",
        subjectType: "grant",
        subjectId: grantId,
        vendorId: grant.vendorId,
        requestId: grant.requestId,
        grantId,
        data: { attempts, reason },
      });

      return "failed";
    }
  }, LIFECYCLE_TX);

  if (outcome === "ended") await expireGrant(grantId, now);
  if (failure !== undefined) {
    log.warn({ grantId, ...errorFields(failure) }, "grant activation failed");
    throw failure;
  }
  if (outcome === "activated") log.info({ grantId }, "grant activated");

  return outcome;
}

/** "busy": with skipLocked, another process holds the grant's row lock and is working on it. */
export type EndOutcome = "ended" | "not-due" | "already-final" | "busy";

/** Ends a grant at or after its end time: removes access at the target and records the expiry. */
export async function expireGrant(grantId: string, now = new Date(), options: { skipLocked?: boolean } = {}): Promise<EndOutcome> {
  return endGrant(grantId, { to: "EXPIRED", actor: SYSTEM_WORKER, action: "grant.expired", now, skipLocked: options.skipLocked });
}

/** Revokes a live grant at once, whatever its window. */
export async function revokeGrant(
  grantId: string,
  options: { actor: AuditActor; reason: string; now?: Date },
): Promise<EndOutcome> {
  return endGrant(grantId, {
    to: "REVOKED",
    actor: options.actor,
    action: "grant.revoked",
    reason: options.reason,
    now: options.now ?? new Date(),
  });
}

async function endGrant(
  grantId: string,
  options: { to: "EXPIRED" | "REVOKED"; actor: AuditActor; action: string; reason?: string; now: Date; skipLocked?: boolean },
): Promise<EndOutcome> {
  const outcome = await db.$transaction(async (tx): Promise<EndOutcome> => {
    // The sweep and the reconciler are fallbacks: when an expiry job already holds the row lock,
    // they move on instead of queueing behind it.
    if (options.skipLocked) {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Grant" WHERE id = ${grantId} FOR UPDATE SKIP LOCKED`;
      if (locked.length === 0 && (await tx.grant.count({ where: { id: grantId } })) > 0) return "busy";
    }
    const grant = await lockGrant(tx, grantId);
    if (!grant) throw new AppError("NOT_FOUND", `Grant ${grantId} not found.`);
    if (!canTransitionGrant(grant.status, options.to)) return "already-final";
    if (options.to === "EXPIRED" && grant.endsAt > options.now) return "not-due";

    // A grant that never reached the target has nothing to remove there, but deactivate is
    // idempotent, so a half-finished activation is cleaned up too.
    const detail = await backendFor(grant.resource).deactivate({ ...contextOf(grant), tx });
    await tx.grant.update({
      where: { id: grantId },
      data: {
        status: options.to,
        endedAt: options.now,
        revokedById: options.to === "REVOKED" ? options.actor.id : null,
        revokeReason: options.reason ?? null,
      },
    });
    await recordAudit(tx, {
      actor: options.actor,
      action: options.action,
      subjectType: "grant",
      subjectId: grantId,
      vendorId: grant.vendorId,
      requestId: grant.requestId,
      grantId,
      data: { ...detail, previousStatus: grant.status, ...(options.reason ? { reason: options.reason } : {}) },
    });

    return "ended";
  }, LIFECYCLE_TX);

  if (outcome === "ended") log.info({ grantId, status: options.to }, "grant ended");

  return outcome;
}

function contextOf(grant: NonNullable<Awaited<ReturnType<typeof lockGrant>>>): GrantContext {
  const { resource, vendor, ...rest } = grant;

  return { grant: rest, resource, vendor };
}

/** Returns a failure message that is safe to store and show: AppError messages only. */
function safeReason(error: unknown): string {
  if (error instanceof AppError) return error.message;

  return "Provisioning failed with an unexpected error; see the worker log.";
}
