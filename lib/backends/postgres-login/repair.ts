import "server-only";

import { DatabaseError, escapeIdentifier, escapeLiteral } from "pg";

import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

import type { PostgresLoginConfig } from "./config";
import { withManagementClient } from "./management-client";
import { isLoginRoleName, LOGIN_ROLE_PREFIX, assertLoginRoleName } from "./role-name";
import { formatUtcTimestamp, grantGroupRoleStatement, LOGIN_CONNECTION_LIMIT } from "./statements";

const UNDEFINED_OBJECT = "42704";

/** Role attributes a login must never have, as inspectLogin() and listLoginRoles() name them. */
export const ELEVATED_ATTRIBUTES = ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"] as const;
export type ElevatedAttribute = (typeof ELEVATED_ATTRIBUTES)[number];

/** The state of a portal login role at the target. */
export interface HeldLoginRole {
  roleName: string;
  canLogin: boolean;
  /** VALID UNTIL, or null for none (or `infinity`), in which case the password never expires. */
  validUntil: Date | null;
  /** CONNECTION LIMIT, or null for no limit. */
  connectionLimit: number | null;
  elevatedAttributes: ElevatedAttribute[];
  /** Roles the login is a direct member of, sorted by name. */
  memberOf: string[];
  openSessions: number;
}

// `_` is a LIKE wildcard, so the prefix's underscores are escaped with LIKE's default escape, `\`.
const LOGIN_ROLE_LIKE_PATTERN = `${LOGIN_ROLE_PREFIX.replaceAll("_", "\\_")}%`;

/**
 * Lists the portal login roles (`vap_g_…`) that concern one target, in one query. A login role
 * concerns the target when it may connect to `config.database` (directly, through the group role or
 * through PUBLIC), when it is a direct member of `config.groupRole`, or when its name is in
 * `roleNames`. Login roles that only other databases of the same server can use are left out, so a
 * reconciler of this target never touches them.
 */
export async function listLoginRoles({
  config,
  roleNames = [],
}: {
  config: PostgresLoginConfig;
  roleNames?: readonly string[];
}): Promise<HeldLoginRole[]> {
  for (const roleName of roleNames) assertLoginRoleName(roleName);

  return withManagementClient(config, "list login roles", async (client) => {
    const { rows } = await client.query<{
      role_name: string;
      can_login: boolean;
      valid_until_epoch: string | null;
      connection_limit: number;
      elevated_attributes: string[];
      member_of: string[];
      open_sessions: number;
    }>(
      `SELECT r.rolname::text AS role_name,
              r.rolcanlogin AS can_login,
              extract(epoch FROM r.rolvaliduntil)::text AS valid_until_epoch,
              r.rolconnlimit AS connection_limit,
              array_remove(ARRAY[
                CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
                CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
                CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
                CASE WHEN r.rolreplication THEN 'REPLICATION' END,
                CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END
              ], NULL) AS elevated_attributes,
              ARRAY(SELECT DISTINCT g.rolname::text
                      FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                     WHERE m.member = r.oid
                     ORDER BY 1) AS member_of,
              (SELECT count(*) FROM pg_stat_activity a WHERE a.usesysid = r.oid)::int AS open_sessions
         FROM pg_roles r
        WHERE r.rolname LIKE $1
          AND (r.rolname = ANY($2::text[])
               OR has_database_privilege(r.oid, $3, 'CONNECT')
               OR EXISTS (SELECT 1
                            FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                           WHERE m.member = r.oid AND g.rolname = $4))
        ORDER BY r.rolname`,
      [LOGIN_ROLE_LIKE_PATTERN, [...roleNames], config.database, config.groupRole],
    );

    return rows
      .filter((row) => isLoginRoleName(row.role_name))
      .map((row) => ({
        roleName: row.role_name,
        canLogin: row.can_login,
        validUntil: parseEpoch(row.valid_until_epoch),
        connectionLimit: row.connection_limit < 0 ? null : row.connection_limit,
        elevatedAttributes: row.elevated_attributes.filter(isElevatedAttribute),
        memberOf: row.member_of,
        openSessions: row.open_sessions,
      }));
  });
}

/**
 * Brings an existing login role back to what its grant allows, without touching its password:
 * LOGIN, INHERIT, the connection limit, VALID UNTIL `endsAt` and membership in the group role. It
 * also switches off `elevatedAttributes` and leaves `extraMemberships`, which someone must have
 * added by hand.
 *
 * PostgreSQL 16 and later let only a role that has SUPERUSER, CREATEDB, REPLICATION or BYPASSRLS
 * switch that attribute off, and REVOKE needs ADMIN OPTION on the role revoked, so those two
 * steps fail with PROVISIONING_FAILED when the manager lacks the privilege. A login whose
 * password was removed (PASSWORD NULL) stays unusable after this, because the password is left
 * alone: its holder gets a new one from the portal.
 * Throws AppError NOT_FOUND when the role does not exist.
 */
export async function repairLogin({
  config,
  roleName,
  endsAt,
  elevatedAttributes = [],
  extraMemberships = [],
}: {
  config: PostgresLoginConfig;
  roleName: string;
  endsAt: Date;
  elevatedAttributes?: readonly ElevatedAttribute[];
  extraMemberships?: readonly string[];
}): Promise<void> {
  assertLoginRoleName(roleName);
  const statements = [
    restoreLoginRoleStatement(roleName, endsAt),
    grantGroupRoleStatement(config.groupRole, roleName),
    ...elevatedAttributes.filter((attribute) => attribute !== "CREATEROLE").map((attribute) => `ALTER ROLE ${escapeIdentifier(roleName)} NO${attribute}`),
    ...extraMemberships
      .filter((role) => role !== config.groupRole)
      .map((role) => `REVOKE ${escapeIdentifier(role)} FROM ${escapeIdentifier(roleName)}`),
  ];

  await withManagementClient(config, `repair login role ${roleName}`, async (client) => {
    for (const statement of statements) {
      try {
        await client.query(statement);
      } catch (error) {
        if (!(error instanceof DatabaseError && error.code === UNDEFINED_OBJECT)) throw error;
        throw new AppError("NOT_FOUND", `Login role ${roleName} was not found on ${config.host}:${config.port}; provision the login again.`, {
          cause: error,
        });
      }
    }
  });

  log.info({ roleName, database: config.database, validUntil: endsAt.toISOString() }, "postgres login repaired");
}

/**
 * ALTER ROLE that restores a login's attributes and VALID UNTIL and, unlike alterLoginRoleStatement,
 * sets no password. NOCREATEROLE is the one elevated attribute the manager may always switch off,
 * because it has CREATEROLE itself.
 */
export function restoreLoginRoleStatement(roleName: string, validUntil: Date): string {
  return [
    `ALTER ROLE ${escapeIdentifier(roleName)}`,
    "LOGIN INHERIT NOCREATEROLE",
    `CONNECTION LIMIT ${LOGIN_CONNECTION_LIMIT}`,
    `VALID UNTIL ${escapeLiteral(formatUtcTimestamp(validUntil))}`,
  ].join(" ");
}

export function isElevatedAttribute(value: string): value is ElevatedAttribute {
  return (ELEVATED_ATTRIBUTES as readonly string[]).includes(value);
}

function parseEpoch(epoch: string | null): Date | null {
  if (epoch === null) return null;
  const seconds = Number(epoch);
  if (seconds === Number.POSITIVE_INFINITY) return null;
  // -infinity: the role can never sign in. The earliest instant a Date can hold means the same.
  if (seconds === Number.NEGATIVE_INFINITY) return new Date(-8.64e15);

  return new Date(Math.round(seconds * 1000));
}
