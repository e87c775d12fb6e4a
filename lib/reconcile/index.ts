import "server-only";

import type { AuditActor } from "@/lib/audit";
import { db, type Prisma } from "@/lib/db";
import { expireGrant } from "@/lib/grants/lifecycle";
import { log } from "@/lib/log";

import { reconcileAwsRoles, type AwsReconcileOptions } from "./aws-roles";
import { reconcilePostgresTarget, roleNameOf, type LiveLoginOwners } from "./postgres-target";
import { recordRepair, runStep, SYSTEM_RECONCILER, type ReconcileContext, type ReconcileSummary } from "./report";
import { postgresTargetLockKey, withTargetLocks } from "./target-lock";

export { REPAIRED_ACTION, SYSTEM_RECONCILER, type ReconcileFailure, type ReconcileRepair, type ReconcileSummary, type RepairKind } from "./report";

/** Grants that ended this long ago or less still have their targets checked. */
export const RECENTLY_ENDED_MS = 24 * 60 * 60 * 1000;

const LIVE_STATUSES = ["SCHEDULED", "ACTIVE", "FAILED"] as const;

export type ReconcileOptions = {
  now?: Date;
  /** The actor recorded for repairs: the reconciler itself, or the admin who asked for the run. */
  actor?: AuditActor;
  aws?: AwsReconcileOptions;
};

/**
 * Compares every target that has live grants, or grants that ended in the last 24 hours, with the
 * database, repairs what differs, and records each repair as a `reconcile.repaired` audit event:
 * 1. Grants still live in the database after their end are expired through expireGrant.
 * 2. Each POSTGRES resource, under its advisory lock: login roles of live grants are restored,
 *    logins of other grants and logins that belong to no grant are revoked.
 * 3. Each AWS vendor role (S3_PREFIX, RDS_IAM) is rendered again with syncVendorRole.
 * S3_PRESIGN resources hold nothing at the target: their presigned URLs expire at or before the
 * grant end and cannot be recalled, so step 1 is all they need.
 * A failure on one target is recorded in the summary and the run goes on with the next.
 */
export async function reconcileAll(options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const now = options.now ?? new Date();
  const context: ReconcileContext = {
    now,
    actor: options.actor ?? SYSTEM_RECONCILER,
    summary: { startedAt: now.toISOString(), finishedAt: now.toISOString(), targetsChecked: 0, targetsSkipped: [], repairs: [], failures: [] },
  };
  const scope = reconcileScope(now);

  await expireOverdueGrants(context);
  await reconcilePostgresTargets(context, scope);
  await reconcileAwsRoles(context, scope, options.aws);

  context.summary.finishedAt = new Date().toISOString();

  return context.summary;
}

/** Grants whose targets the run checks: live ones, and those that ended in the last 24 hours. */
function reconcileScope(now: Date): Prisma.GrantWhereInput {
  return {
    OR: [{ status: { in: [...LIVE_STATUSES] } }, { status: { in: ["EXPIRED", "REVOKED"] }, endedAt: { gte: new Date(now.getTime() - RECENTLY_ENDED_MS) } }],
  };
}

/** Expires grants that are live in the database although their end has passed, for example while every worker was down. */
async function expireOverdueGrants(context: ReconcileContext): Promise<void> {
  const overdue = await db.grant.findMany({
    where: { status: { in: [...LIVE_STATUSES] }, endsAt: { lte: context.now } },
    select: { id: true, status: true, endsAt: true, vendorId: true, requestId: true, resource: { select: { slug: true } } },
    orderBy: { endsAt: "asc" },
  });

  for (const grant of overdue) {
    const target = `resource ${grant.resource.slug}`;
    await runStep(context, { target, grantId: grant.id }, async () => {
      if ((await expireGrant(grant.id, context.now, { skipLocked: true })) !== "ended") return;

      await db.$transaction((tx) =>
        recordRepair(
          tx,
          context,
          { target, grantId: grant.id, subject: grant.id, repair: "expired-overdue-grant", differences: ["live-after-end"] },
          {
            subjectType: "grant",
            subjectId: grant.id,
            vendorId: grant.vendorId,
            requestId: grant.requestId,
            grantId: grant.id,
            data: { previousStatus: grant.status, endsAt: grant.endsAt.toISOString() },
          },
        ),
      );
    });
  }
}

async function reconcilePostgresTargets(context: ReconcileContext, scope: Prisma.GrantWhereInput): Promise<void> {
  const resources = await db.resource.findMany({ where: { kind: "POSTGRES", grants: { some: scope } }, orderBy: { slug: "asc" } });
  if (resources.length === 0) return;

  const liveOwners = await loadLiveLoginOwners();

  await withTargetLocks(async (locks) => {
    for (const resource of resources) {
      const target = `resource ${resource.slug}`;
      await runStep(context, { target, resourceId: resource.id }, async () => {
        const outcome = await locks.tryWithLock(postgresTargetLockKey(resource.id), async () => {
          const grants = await db.grant.findMany({
            where: { AND: [scope, { resourceId: resource.id }] },
            select: { id: true, status: true, startsAt: true, endsAt: true, targetName: true, vendorId: true, requestId: true },
            orderBy: { id: "asc" },
          });
          await reconcilePostgresTarget(context, resource, grants, liveOwners);
        });

        if (outcome.ran) {
          context.summary.targetsChecked += 1;
        } else {
          context.summary.targetsSkipped.push(target);
        }
      });
    }
  });
}

/** Login role names of every live POSTGRES grant in the portal, with the grant and resource they belong to. */
async function loadLiveLoginOwners(): Promise<LiveLoginOwners> {
  const grants = await db.grant.findMany({
    where: { status: { in: [...LIVE_STATUSES] }, resource: { kind: "POSTGRES" } },
    select: { id: true, targetName: true, resourceId: true },
  });
  const owners: LiveLoginOwners = new Map();
  for (const grant of grants) {
    owners.set(roleNameOf(grant), { grantId: grant.id, resourceId: grant.resourceId });
  }

  return owners;
}

/** Logs a run's summary when it repaired or failed something; a run that found nothing stays quiet. */
export function logReconcileSummary(summary: ReconcileSummary): void {
  if (summary.repairs.length === 0 && summary.failures.length === 0) return;

  const fields = {
    targetsChecked: summary.targetsChecked,
    targetsSkipped: summary.targetsSkipped.length,
    repairs: summary.repairs.map(({ target, grantId, subject, repair }) => ({ target, grantId, subject, repair })),
    failures: summary.failures.map(({ target, grantId }) => ({ target, grantId })),
  };
  if (summary.failures.length > 0) {
    log.warn(fields, "reconcile finished with failures");
  } else {
    log.info(fields, "reconcile repaired drift");
  }
}
