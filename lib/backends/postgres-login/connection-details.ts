import { isIPv6 } from "node:net";

import type { PostgresLoginConfig, PostgresSslMode } from "./config";
import { assertLoginRoleName } from "./role-name";

export interface LoginConnectionDetails {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: PostgresSslMode;
  /** Builds a `postgresql://` URI with the password in it, for clients that take one string. */
  buildUri(password: string): string;
  /**
   * Builds a shell command that starts psql with the password in PGPASSWORD. The command is
   * shown once, and it ends up in the vendor's shell history if they paste it as it is.
   */
  buildPsqlCommand(password: string): string;
}

/** Collects what a vendor needs to connect with a login role, without touching the server. */
export function connectionDetails({ config, roleName }: { config: PostgresLoginConfig; roleName: string }): LoginConnectionDetails {
  assertLoginRoleName(roleName);
  const { host, port, database, sslMode } = config;

  return {
    host,
    port,
    database,
    user: roleName,
    sslMode,
    buildUri: (password) => buildPostgresUri({ host, port, database, user: roleName, password, sslMode }),
    buildPsqlCommand: (password) => buildPsqlCommand({ host, port, database, user: roleName, password, sslMode }),
  };
}

interface ConnectionParts {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslMode: PostgresSslMode;
}

export function buildPostgresUri(parts: ConnectionParts): string {
  const host = isIPv6(parts.host) ? `[${parts.host}]` : parts.host;
  const userInfo = `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}`;

  return `postgresql://${userInfo}@${host}:${parts.port}/${encodeURIComponent(parts.database)}?sslmode=${parts.sslMode}`;
}

export function buildPsqlCommand(parts: ConnectionParts): string {
  const conninfo = [
    `host=${quoteConninfoValue(parts.host)}`,
    `port=${parts.port}`,
    `dbname=${quoteConninfoValue(parts.database)}`,
    `user=${quoteConninfoValue(parts.user)}`,
    `sslmode=${parts.sslMode}`,
  ].join(" ");

  return `PGPASSWORD=${quoteShellWord(parts.password)} psql ${quoteShellWord(conninfo)}`;
}

/** Quotes a value for a libpq key=value connection string when it has spaces, quotes or backslashes. */
export function quoteConninfoValue(value: string): string {
  if (value !== "" && !/[\s'\\]/.test(value)) return value;

  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Quotes a word for POSIX shells: single quotes, with each ' written as '\''. */
export function quoteShellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
