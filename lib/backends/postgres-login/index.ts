import "server-only";

import { type Client, DatabaseError } from "pg";

import { AppError } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";

import type { PostgresLoginConfig } from "./config";
import { withManagementClient } from "./management-client";
import { generateLoginPassword, scramSha256Verifier } from "./password";
import { assertLoginRoleName, loginRoleName } from "./role-name";
import {
  alterLoginRoleStatement,
  createLoginRoleStatement,
  disableLoginStatement,
  dropRoleStatement,
  formatUtcTimestamp,
  grantGroupRoleStatement,
  revokeGroupRoleStatement,
  setPasswordStatement,
  setValidUntilStatement,
} from "./statements";

export { ZPostgresLoginConfig, type PostgresLoginConfig } from "./config";
export { connectionDetails, type LoginConnectionDetails } from "./connection-details";
export { isLoginRoleName, loginRoleName } from "./role-name";
export { ELEVATED_ATTRIBUTES, isElevatedAttribute, listLoginRoles, repairLogin, type ElevatedAttribute, type HeldLoginRole } from "./repair";

const DUPLICATE_OBJECT = "42710";
const UNDEFINED_OBJECT = "42704";
const DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";

// How long revokeLogin waits for terminated backends to leave pg_stat_activity.
const SESSION_EXIT_TIMEOUT_MS = 10_000;
const SESSION_EXIT_POLL_MS = 100;

export interface ProvisionLoginResult {
  roleName: string;
  /** Password to show the vendor once. It is never stored or logged. */
  password: string;
  /** False when the role already existed and was brought back to the desired state. */
  created: boolean;
}

export interface RevokeLoginResult {
  /** False when the role was already gone, so the call changed nothing. */
  roleExisted: boolean;
  terminatedSessions: number;
  /** True when the role no longer exists after the call. */
  dropped: boolean;
  /** PostgreSQL's DETAIL when dependent objects blocked DROP ROLE. The role then stays NOLOGIN. */
  dropBlockedBy?: string;
}

export interface LoginInspection {
  exists: boolean;
  canLogin: boolean;
  /** The role's VALID UNTIL, or null for none (or `infinity`), in which case the password never expires. */
  validUntil: Date | null;
  connectionLimit: number | null;
  /** Attributes a login must never have (SUPERUSER, CREATEDB, ...). Empty unless someone added them. */
  elevatedAttributes: string[];
  /** Roles the login is a direct member of, sorted by name. */
  memberOf: string[];
  openSessions: number;
}

/**
 * Creates the grant's login role, or brings an existing one back to the desired state, and sets
 * a new password. The role can sign in until `endsAt` (VALID UNTIL, checked by PostgreSQL at each
 * sign-in) and reads through `config.groupRole`.
 *
 * Each call issues a new password, so the previous one stops working. PostgreSQL checks VALID
 * UNTIL only at sign-in: sessions opened before `endsAt` stay open until revokeLogin() ends them.
 */
export async function provisionLogin({
  config,
  grantId,
  endsAt,
}: {
  config: PostgresLoginConfig;
  grantId: string;
  endsAt: Date;
}): Promise<ProvisionLoginResult> {
  const roleName = loginRoleName(grantId);
  assertFutureEnd(endsAt);
  const password = generateLoginPassword();
  const state = { roleName, groupRole: config.groupRole, passwordVerifier: scramSha256Verifier(password), validUntil: endsAt };

  const created = await withManagementClient(config, `provision login role ${roleName}`, async (client) => {
    try {
      await client.query(createLoginRoleStatement(state));

      return true;
    } catch (error) {
      if (!isDatabaseError(error, DUPLICATE_OBJECT)) throw error;
    }
    // The role exists from an earlier call (a retry, a re-render or a drift repair), so reset it.
    // NOTE: memberships in roles other than the group role stay in place, because the manager may
    // lack ADMIN OPTION on those roles. inspectLogin() lists them in memberOf.
    await client.query(alterLoginRoleStatement(state));
    await client.query(grantGroupRoleStatement(config.groupRole, roleName));

    return false;
  });

  log.info({ grantId, roleName, database: config.database, created, validUntil: endsAt.toISOString() }, "postgres login provisioned");

  return { roleName, password, created };
}

/**
 * Sets a new password on an existing login role and re-applies VALID UNTIL. The old password
 * stops working for new sign-ins; open sessions stay open.
 */
export async function rotatePassword({
  config,
  roleName,
  endsAt,
}: {
  config: PostgresLoginConfig;
  roleName: string;
  endsAt: Date;
}): Promise<{ password: string }> {
  assertLoginRoleName(roleName);
  assertFutureEnd(endsAt);
  const password = generateLoginPassword();
  const statement = setPasswordStatement(roleName, scramSha256Verifier(password), endsAt);

  await withManagementClient(config, `rotate the password of ${roleName}`, async (client) => {
    try {
      await client.query(statement);
    } catch (error) {
      if (!isDatabaseError(error, UNDEFINED_OBJECT)) throw error;
      throw new AppError(
        "NOT_FOUND",
        `Login role ${roleName} was not found on ${config.host}:${config.port}; provision the login again before rotating its password.`,
        { cause: error },
      );
    }
  });

  log.info({ roleName, database: config.database }, "postgres login password rotated");

  return { password };
}

/**
 * Moves an existing login's VALID UNTIL to a new grant end, keeping its password, so an extended
 * grant goes on working without a gap. Refuses when the role does not exist.
 */
export async function setLoginValidUntil({
  config,
  roleName,
  endsAt,
}: {
  config: PostgresLoginConfig;
  roleName: string;
  endsAt: Date;
}): Promise<void> {
  assertLoginRoleName(roleName);
  assertFutureEnd(endsAt);

  await withManagementClient(config, `extend login role ${roleName}`, async (client) => {
    try {
      await client.query(setValidUntilStatement(roleName, endsAt));
    } catch (error) {
      if (!isDatabaseError(error, UNDEFINED_OBJECT)) throw error;
      throw new AppError("NOT_FOUND", `Login role ${roleName} was not found on ${config.host}:${config.port}; provision the login again.`, {
        cause: error,
      });
    }
  });

  log.info({ roleName, database: config.database, validUntil: endsAt.toISOString() }, "postgres login extended");
}

/**
 * Ends a login: NOLOGIN without a password first, so no new session can start, then terminates
 * every backend whose session user is the role. That includes sessions that ran SET ROLE,
 * because pg_stat_activity.usename is the session user. Finally drops the role. If objects still
 * depend on it, the role stays NOLOGIN and outside the group role, with `dropped: false`.
 * Calling it for a role that is already gone changes nothing.
 */
export async function revokeLogin({
  config,
  roleName,
}: {
  config: PostgresLoginConfig;
  roleName: string;
}): Promise<RevokeLoginResult> {
  assertLoginRoleName(roleName);

  const result = await withManagementClient(config, `revoke login role ${roleName}`, async (client): Promise<RevokeLoginResult> => {
    try {
      await client.query(disableLoginStatement(roleName));
    } catch (error) {
      if (isDatabaseError(error, UNDEFINED_OBJECT)) return { roleExisted: false, terminatedSessions: 0, dropped: true };
      throw error;
    }

    const terminatedSessions = await terminateSessions(client, roleName);

    try {
      await client.query(dropRoleStatement(roleName));

      return { roleExisted: true, terminatedSessions, dropped: true };
    } catch (error) {
      if (isDatabaseError(error, UNDEFINED_OBJECT)) return { roleExisted: true, terminatedSessions, dropped: true };
      if (!isDatabaseError(error, DEPENDENT_OBJECTS_STILL_EXIST)) throw error;
      await removeFromGroupRole(client, config.groupRole, roleName);

      return { roleExisted: true, terminatedSessions, dropped: false, dropBlockedBy: error.detail ?? error.message };
    }
  });

  if (result.dropped) {
    log.info({ roleName, database: config.database, ...result }, "postgres login revoked");
  } else {
    log.warn({ roleName, database: config.database, ...result }, "postgres login disabled; dependent objects block DROP ROLE");
  }

  return result;
}

/** Reads a login role's state from the target, for the reconciler and for diagnostics. */
export async function inspectLogin({ config, roleName }: { config: PostgresLoginConfig; roleName: string }): Promise<LoginInspection> {
  assertLoginRoleName(roleName);

  return withManagementClient(config, `inspect login role ${roleName}`, async (client) => {
    const { rows } = await client.query<{
      can_login: boolean;
      valid_until_epoch: string | null;
      connection_limit: number;
      elevated_attributes: string[];
      member_of: string[];
      open_sessions: number;
    }>(
      `SELECT r.rolcanlogin AS can_login,
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
        WHERE r.rolname = $1`,
      [roleName],
    );
    const row = rows[0];
    if (row === undefined) {
      return { exists: false, canLogin: false, validUntil: null, connectionLimit: null, elevatedAttributes: [], memberOf: [], openSessions: 0 };
    }

    return {
      exists: true,
      canLogin: row.can_login,
      validUntil: parseEpoch(row.valid_until_epoch),
      connectionLimit: row.connection_limit < 0 ? null : row.connection_limit,
      elevatedAttributes: row.elevated_attributes,
      memberOf: row.member_of,
      openSessions: row.open_sessions,
    };
  });
}

/**
 * Signals every backend whose session user is `roleName` and waits until none is left in
 * pg_stat_activity. There is no filter on backend_type: without pg_read_all_stats the manager
 * reads it as NULL for other roles' backends, and parallel workers end with their leader anyway. It only stops after two empty checks one poll interval apart, which catches
 * a session that was between sign-in and its first pg_stat_activity entry when NOLOGIN landed.
 * Returns how many backends were signalled.
 */
async function terminateSessions(client: Client, roleName: string): Promise<number> {
  const deadline = Date.now() + SESSION_EXIT_TIMEOUT_MS;
  const signalled = new Set<number>();
  let emptyChecks = 0;

  for (;;) {
    const { rows } = await client.query<{ pid: number; signalled: boolean }>(
      `SELECT pid, pg_terminate_backend(pid) AS signalled
         FROM pg_stat_activity
        WHERE usename = $1 AND pid <> pg_backend_pid()`,
      [roleName],
    );
    for (const row of rows) {
      if (row.signalled) signalled.add(row.pid);
    }
    emptyChecks = rows.length === 0 ? emptyChecks + 1 : 0;
    if (emptyChecks === 2) return signalled.size;

    if (Date.now() >= deadline) {
      throw new AppError(
        "PROVISIONING_FAILED",
        `${rows.length} session(s) of ${roleName} were still open ${SESSION_EXIT_TIMEOUT_MS / 1000} s after termination; the role is NOLOGIN, so retry the revocation.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, SESSION_EXIT_POLL_MS));
  }
}

function assertFutureEnd(endsAt: Date): void {
  // formatUtcTimestamp also rejects an invalid Date.
  const formatted = formatUtcTimestamp(endsAt);
  if (endsAt.getTime() <= Date.now()) {
    throw new AppError("INVALID_STATE", `Grant ended at ${formatted}; a login can only be issued for a grant that has not ended.`);
  }
}

function parseEpoch(epoch: string | null): Date | null {
  if (epoch === null) return null;
  const seconds = Number(epoch);
  if (seconds === Number.POSITIVE_INFINITY) return null;
  // -infinity: the role can never sign in. The earliest instant a Date can hold means the same.
  if (seconds === Number.NEGATIVE_INFINITY) return new Date(-8.64e15);

  return new Date(Math.round(seconds * 1000));
}

function isDatabaseError(error: unknown, code: string): error is DatabaseError {
  return error instanceof DatabaseError && error.code === code;
}

/**
 * Removes a login that could not be dropped from the group role, as DROP ROLE would have done.
 * A failure here is logged and not raised, because the role is already NOLOGIN without a password.
 */
async function removeFromGroupRole(client: Client, groupRole: string, roleName: string): Promise<void> {
  try {
    await client.query(revokeGroupRoleStatement(groupRole, roleName));
  } catch (error) {
    log.warn({ roleName, groupRole, ...errorFields(error) }, "failed to remove undroppable login from group role");
  }
}
