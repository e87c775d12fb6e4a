// Differences between a PostgreSQL login role and what its grant allows. Pure: no I/O.

import type { ElevatedAttribute, HeldLoginRole } from "@/lib/backends/postgres-login/repair";

/** The state a login role should have at the target. */
export type DesiredLogin =
  | { present: true; validUntil: Date; groupRole: string; connectionLimit: number }
  | { present: false; groupRole: string };

export type LoginDifference =
  /** The grant is live, but the role does not exist. */
  | "role-missing"
  /** The grant is live, but the role is NOLOGIN. */
  | "login-disabled"
  /** The grant is live, but VALID UNTIL is not the grant's end. */
  | "valid-until"
  /** The grant is live, but the role is not a direct member of the group role. */
  | "group-membership-missing"
  | "connection-limit"
  | "elevated-attributes"
  /** The role is a member of roles other than the group role. */
  | "extra-memberships"
  /** The grant has ended (or never was active), but the role can still sign in. */
  | "login-enabled"
  /** The grant has ended, but sessions of the role are still open. */
  | "open-sessions"
  /** The grant has ended, but the role is still a member of the group role. */
  | "group-membership-left";

/** The action that brings a login back to its desired state. */
export type LoginRepair = "recreate" | "restore" | "revoke";

/**
 * Lists how `held` differs from `desired`; empty when it matches. An ended grant's role may stay
 * behind when objects depend on it, so for `present: false` a role that is NOLOGIN, outside the
 * group role and without sessions counts as matching.
 */
export function diffLogin(desired: DesiredLogin, held: HeldLoginRole | null): LoginDifference[] {
  if (!desired.present) {
    if (held === null) return [];
    const differences: LoginDifference[] = [];
    if (held.canLogin) differences.push("login-enabled");
    if (held.openSessions > 0) differences.push("open-sessions");
    if (held.memberOf.includes(desired.groupRole)) differences.push("group-membership-left");

    return differences;
  }

  if (held === null) return ["role-missing"];
  const differences: LoginDifference[] = [];
  if (!held.canLogin) differences.push("login-disabled");
  if (held.validUntil?.getTime() !== desired.validUntil.getTime()) differences.push("valid-until");
  if (!held.memberOf.includes(desired.groupRole)) differences.push("group-membership-missing");
  if (held.connectionLimit !== desired.connectionLimit) differences.push("connection-limit");
  if (held.elevatedAttributes.length > 0) differences.push("elevated-attributes");
  if (extraMembershipsOf(held, desired.groupRole).length > 0) differences.push("extra-memberships");

  return differences;
}

/** Picks the repair for a login with `differences`, or null when there is nothing to repair. */
export function planLoginRepair(desired: DesiredLogin, differences: readonly LoginDifference[]): LoginRepair | null {
  if (differences.length === 0) return null;
  if (!desired.present) return "revoke";

  return differences.includes("role-missing") ? "recreate" : "restore";
}

export function extraMembershipsOf(held: HeldLoginRole, groupRole: string): string[] {
  return held.memberOf.filter((role) => role !== groupRole);
}

/** Describes a held login's state for the audit log, without secrets and with instants in ISO 8601. */
export function describeHeldLogin(held: HeldLoginRole | null, groupRole: string) {
  if (held === null) return { exists: false };

  return {
    exists: true,
    canLogin: held.canLogin,
    validUntil: held.validUntil?.toISOString() ?? null,
    memberOfGroupRole: held.memberOf.includes(groupRole),
    connectionLimit: held.connectionLimit,
    elevatedAttributes: held.elevatedAttributes satisfies ElevatedAttribute[],
    extraMemberships: extraMembershipsOf(held, groupRole),
    openSessions: held.openSessions,
  };
}
