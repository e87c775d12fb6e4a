import "server-only";

import {
  inspectLogin,
  isElevatedAttribute,
  isLoginRoleName,
  listLoginRoles,
  loginRoleName,
  provisionLogin,
  repairLogin,
  revokeLogin,
  type HeldLoginRole,
  type LoginInspection,
  type PostgresLoginConfig,
} from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { LOGIN_ROLE_PREFIX } from "@/lib/backends/postgres-login/role-name";
import { LOGIN_CONNECTION_LIMIT } from "@/lib/backends/postgres-login/statements";
import { db, type Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";
import type { Grant, Resource } from "@/lib/generated/prisma/client";

import { describeHeldLogin, diffLogin, extraMembershipsOf, planLoginRepair, type DesiredLogin, type LoginDifference, type LoginRepair } from "./login-drift";
import { recordRepair, runStep, type ReconcileContext, type RepairKind } from "./report";

// Each repair holds its grant's row lock while it talks to the target, as activation does, so it
// gets the same time as the lifecycle transactions.
const REPAIR_TX = { timeout: 60_000, maxWait: 10_000 } as const;

const REPAIR_KIND_OF_PLAN: Record<LoginRepair, RepairKind> = {
  recreate: "recreated-login",
  restore: "restored-login",
  revoke: "revoked-login",
};

type ScopedGrant = Pick<Grant, "id" | "status" | "startsAt" | "endsAt" | "targetName" | "vendorId" | "requestId">;

/**
 * The grant and resource of every live grant's login role in the portal, by role name. A resource
 * that shares its database with another leaves the logins in this map to their own resource.
 */
export type LiveLoginOwners = Map<string, { grantId: string; resourceId: string }>;

/**
 * Compares every login role of one POSTGRES resource with the database and repairs differences:
 * - an ACTIVE grant before its end needs its role, able to sign in until the grant's end, in the
 *   group role;
 * - any other grant (SCHEDULED, FAILED, EXPIRED, REVOKED) needs its role gone, or at least NOLOGIN,
 *   outside the group role and without sessions;
 * - a login role that may use the target but belongs to no grant listed in `grants` is revoked,
 *   unless it belongs to a live grant of another resource.
 * The caller holds the target's lock. Each repair re-reads its grant under the grant's row lock
 * first, so it never undoes an activation or expiry that committed in the meantime.
 */
export async function reconcilePostgresTarget(
  context: ReconcileContext,
  resource: Resource,
  grants: readonly ScopedGrant[],
  liveOwners: LiveLoginOwners,
): Promise<void> {
  const target = `resource ${resource.slug}`;
  const parsed = ZPostgresLoginConfig.safeParse(resource.config);
  if (!parsed.success) {
    throw new AppError("MISCONFIGURED", `The config of POSTGRES resource ${resource.slug} is invalid, so its logins cannot be checked. Fix it in the resource settings.`);
  }
  const config = parsed.data;

  const held = await listLoginRoles({ config, roleNames: grants.map(roleNameOf) });
  const unclaimed = new Map(held.map((role) => [role.roleName, role]));

  for (const grant of grants) {
    const roleName = roleNameOf(grant);
    const role = unclaimed.get(roleName) ?? null;
    unclaimed.delete(roleName);

    const desired = desiredLoginOf(grant, config.groupRole, context.now);
    if (planLoginRepair(desired, diffLogin(desired, role)) === null) continue;

    await runStep(context, { target, grantId: grant.id, resourceId: resource.id }, () => repairGrantLogin(context, resource, config, grant.id));
  }

  const absent: DesiredLogin = { present: false, groupRole: config.groupRole };
  for (const role of unclaimed.values()) {
    if (planLoginRepair(absent, diffLogin(absent, role)) === null) continue;

    // Another resource on the same database owns this login; its own reconcile checks it.
    const liveOwner = liveOwners.get(role.roleName);
    if (liveOwner && liveOwner.resourceId !== resource.id) continue;
    const ownerGrantId = liveOwner?.grantId ?? grantIdOfPlainName(role.roleName);

    await runStep(context, { target, grantId: ownerGrantId, resourceId: resource.id }, () =>
      repairUnclaimedLogin(context, resource, config, role.roleName, ownerGrantId),
    );
  }
}

/** Returns the role name of a grant: the one activation recorded, or the one it would create. */
export function roleNameOf(grant: Pick<Grant, "id" | "targetName">): string {
  return grant.targetName ?? loginRoleName(grant.id);
}

export function desiredLoginOf(grant: Pick<Grant, "status" | "endsAt">, groupRole: string, now: Date): DesiredLogin {
  if (grant.status === "ACTIVE" && grant.endsAt > now) {
    return { present: true, validUntil: grant.endsAt, groupRole, connectionLimit: LOGIN_CONNECTION_LIMIT };
  }

  return { present: false, groupRole };
}

/** Re-checks one grant's login under the grant's row lock and repairs it, recording the repair. */
async function repairGrantLogin(context: ReconcileContext, resource: Resource, config: PostgresLoginConfig, grantId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const grant = await lockGrant(tx, grantId);
    if (!grant) return;

    const roleName = roleNameOf(grant);
    const desired = desiredLoginOf(grant, config.groupRole, context.now);
    const before = heldLoginOf(roleName, await inspectLogin({ config, roleName }));
    const differences = diffLogin(desired, before);
    const plan = planLoginRepair(desired, differences);
    if (plan === null) return;

    const outcome = await applyLoginRepair(config, roleName, desired, before, plan, grant.id);
    if (plan === "recreate" && grant.targetName !== roleName) {
      await tx.grant.update({ where: { id: grant.id }, data: { targetName: roleName } });
    }
    await assertRepaired(config, roleName, desired);

    const repair = REPAIR_KIND_OF_PLAN[plan];
    await recordRepair(
      tx,
      context,
      { target: `resource ${resource.slug}`, grantId: grant.id, subject: roleName, repair, differences },
      {
        subjectType: "grant",
        subjectId: grant.id,
        vendorId: grant.vendorId,
        requestId: grant.requestId,
        grantId: grant.id,
        data: {
          resourceId: resource.id,
          grantStatus: grant.status,
          held: describeHeldLogin(before, config.groupRole),
          desired: desired.present ? { present: true, validUntil: desired.validUntil.toISOString() } : { present: false },
          ...outcome,
        },
      },
    );
  }, REPAIR_TX);
}

/**
 * Revokes a login role that no grant of this resource in the run's scope claims. When the role
 * name leads to a grant, that grant's row lock is taken and its state read again, so a grant that
 * became ACTIVE in the meantime keeps its login.
 */
async function repairUnclaimedLogin(
  context: ReconcileContext,
  resource: Resource,
  config: PostgresLoginConfig,
  roleName: string,
  ownerGrantId: string | null,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const owner = ownerGrantId ? await lockGrant(tx, ownerGrantId) : null;
    if (owner && owner.status === "ACTIVE" && owner.endsAt > context.now) return;

    const desired: DesiredLogin = { present: false, groupRole: config.groupRole };
    const before = heldLoginOf(roleName, await inspectLogin({ config, roleName }));
    const differences = diffLogin(desired, before);
    if (planLoginRepair(desired, differences) === null) return;

    const outcome = await applyLoginRepair(config, roleName, desired, before, "revoke", owner?.id ?? null);
    await assertRepaired(config, roleName, desired);

    const repair = { target: `resource ${resource.slug}`, grantId: owner?.id ?? null, subject: roleName, repair: "revoked-orphan-login" as const, differences };
    const data = { resourceId: resource.id, grantStatus: owner?.status ?? null, held: describeHeldLogin(before, config.groupRole), desired: { present: false }, ...outcome };
    if (owner) {
      await recordRepair(tx, context, repair, { subjectType: "grant", subjectId: owner.id, vendorId: owner.vendorId, requestId: owner.requestId, grantId: owner.id, data });
    } else {
      await recordRepair(tx, context, repair, { subjectType: "resource", subjectId: resource.id, data });
    }
  }, REPAIR_TX);
}

async function applyLoginRepair(
  config: PostgresLoginConfig,
  roleName: string,
  desired: DesiredLogin,
  before: HeldLoginRole | null,
  plan: LoginRepair,
  grantId: string | null,
): Promise<Record<string, string | number | boolean>> {
  if (plan === "revoke" || !desired.present) {
    const result = await revokeLogin({ config, roleName });

    return { terminatedSessions: result.terminatedSessions, dropped: result.dropped };
  }
  if (plan === "recreate") {
    if (grantId === null) throw new Error(`cannot recreate login ${roleName} without its grant`);
    // provisionLogin sets a new password that is never shown, so the holder has to fetch a new one.
    await provisionLogin({ config, grantId, endsAt: desired.validUntil });

    return { holderMustFetchNewPassword: true };
  }

  await repairLogin({
    config,
    roleName,
    endsAt: desired.validUntil,
    elevatedAttributes: before?.elevatedAttributes ?? [],
    extraMemberships: before ? extraMembershipsOf(before, config.groupRole) : [],
  });

  return { passwordChanged: false };
}

/** Reads the role again and throws when a repair did not take, for example for lack of a privilege. */
async function assertRepaired(config: PostgresLoginConfig, roleName: string, desired: DesiredLogin): Promise<void> {
  const remaining: LoginDifference[] = diffLogin(desired, heldLoginOf(roleName, await inspectLogin({ config, roleName })));
  if (remaining.length === 0) return;

  throw new AppError(
    "PROVISIONING_FAILED",
    `Login role ${roleName} on ${config.host}:${config.port}/${config.database} still differs after the repair (${remaining.join(", ")}). Check that the management role may change it, then fix it by hand.`,
  );
}

async function lockGrant(tx: Tx, grantId: string) {
  await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${grantId} FOR UPDATE`;

  return tx.grant.findUnique({ where: { id: grantId } });
}

function heldLoginOf(roleName: string, inspection: LoginInspection): HeldLoginRole | null {
  if (!inspection.exists) return null;

  return {
    roleName,
    canLogin: inspection.canLogin,
    validUntil: inspection.validUntil,
    connectionLimit: inspection.connectionLimit,
    elevatedAttributes: inspection.elevatedAttributes.filter(isElevatedAttribute),
    memberOf: inspection.memberOf,
    openSessions: inspection.openSessions,
  };
}

/**
 * Returns the id of the grant a plain role name (`vap_g_<grant id>`) was made for. Hashed names
 * (`vap_g__<digest>`) cannot be traced back, so they get null; the hashed names of live grants
 * are in LiveLoginOwners.
 */
function grantIdOfPlainName(roleName: string): string | null {
  if (!isLoginRoleName(roleName) || roleName.startsWith(`${LOGIN_ROLE_PREFIX}_`)) return null;

  return roleName.slice(LOGIN_ROLE_PREFIX.length);
}
