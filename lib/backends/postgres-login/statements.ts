import { escapeIdentifier, escapeLiteral } from "pg";

import { AppError } from "@/lib/errors";

/** Sessions one login may hold at once: enough for psql plus a GUI client, not for a pool. */
export const LOGIN_CONNECTION_LIMIT = 5;

export interface LoginRoleState {
  roleName: string;
  groupRole: string;
  /** A SCRAM verifier from scramSha256Verifier(), never the plain password. */
  passwordVerifier: string;
  validUntil: Date;
}

/**
 * Formats an instant as a PostgreSQL timestamptz literal with an explicit `+00` offset, for
 * example `2030-01-31 17:00:00.000+00`. With the offset written out, the server's TimeZone
 * setting cannot shift the instant.
 */
export function formatUtcTimestamp(instant: Date): string {
  if (Number.isNaN(instant.getTime())) {
    throw new AppError("INVALID_INPUT", "Grant end is not a valid date.");
  }
  const iso = instant.toISOString();
  if (!/^\d{4}-/.test(iso)) {
    throw new AppError("INVALID_INPUT", `Grant end ${iso} is outside the years 0000-9999.`);
  }

  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+00`;
}

// DDL takes no bind parameters, so names and literals are quoted with pg's escapeIdentifier and
// escapeLiteral. Names are also validated before they get here, so quoting is a second guard.

export function createLoginRoleStatement(state: LoginRoleState): string {
  return [
    `CREATE ROLE ${escapeIdentifier(state.roleName)}`,
    "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    `CONNECTION LIMIT ${LOGIN_CONNECTION_LIMIT}`,
    `PASSWORD ${escapeLiteral(state.passwordVerifier)}`,
    `VALID UNTIL ${escapeLiteral(formatUtcTimestamp(state.validUntil))}`,
    `IN ROLE ${escapeIdentifier(state.groupRole)}`,
  ].join(" ");
}

/**
 * Brings an existing login role back to the desired attributes. SUPERUSER, CREATEDB, REPLICATION
 * and BYPASSRLS are left out because since PostgreSQL 16 only roles that hold those attributes
 * may name them in ALTER ROLE, even to switch them off (checked on 18.4). The manager has none
 * of them, and only a role that has one could have set it on a login.
 */
export function alterLoginRoleStatement(state: LoginRoleState): string {
  return [
    `ALTER ROLE ${escapeIdentifier(state.roleName)}`,
    "LOGIN INHERIT NOCREATEROLE",
    `CONNECTION LIMIT ${LOGIN_CONNECTION_LIMIT}`,
    `PASSWORD ${escapeLiteral(state.passwordVerifier)}`,
    `VALID UNTIL ${escapeLiteral(formatUtcTimestamp(state.validUntil))}`,
  ].join(" ");
}

export function grantGroupRoleStatement(groupRole: string, roleName: string): string {
  return `GRANT ${escapeIdentifier(groupRole)} TO ${escapeIdentifier(roleName)}`;
}

export function revokeGroupRoleStatement(groupRole: string, roleName: string): string {
  return `REVOKE ${escapeIdentifier(groupRole)} FROM ${escapeIdentifier(roleName)}`;
}

export function setPasswordStatement(roleName: string, passwordVerifier: string, validUntil: Date): string {
  return [
    `ALTER ROLE ${escapeIdentifier(roleName)}`,
    `PASSWORD ${escapeLiteral(passwordVerifier)}`,
    `VALID UNTIL ${escapeLiteral(formatUtcTimestamp(validUntil))}`,
  ].join(" ");
}

export function setValidUntilStatement(roleName: string, validUntil: Date): string {
  return `ALTER ROLE ${escapeIdentifier(roleName)} VALID UNTIL ${escapeLiteral(formatUtcTimestamp(validUntil))}`;
}

/** Blocks new sessions and removes the stored verifier, so switching LOGIN back on restores no access. */
export function disableLoginStatement(roleName: string): string {
  return `ALTER ROLE ${escapeIdentifier(roleName)} NOLOGIN PASSWORD NULL`;
}

export function dropRoleStatement(roleName: string): string {
  return `DROP ROLE ${escapeIdentifier(roleName)}`;
}
