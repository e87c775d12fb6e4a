import "server-only";

import { Client, DatabaseError } from "pg";

import { readNamedSetting } from "@/lib/env";
import { AppError } from "@/lib/errors";

import type { PostgresLoginConfig } from "./config";

const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 15_000;
const LOCK_TIMEOUT_MS = 5_000;
// Client-side limit, for a server or network that stops responding altogether.
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;

/**
 * Opens a management connection for one operation, runs `work` and always closes the connection.
 * Any failure other than an AppError becomes PROVISIONING_FAILED with a message that names the
 * operation and the target but never the management URL or a password. The driver's error is
 * kept as `cause` for the log.
 */
export async function withManagementClient<T>(
  config: PostgresLoginConfig,
  operation: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    connectionString: readManagementUrl(config),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    lock_timeout: LOCK_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: "vendor-access-portal",
  });
  // Without a listener, an 'error' event (server restart, dropped socket) would crash the process.
  // The query in flight rejects with the same error, and that rejection is what gets reported.
  client.on("error", () => undefined);

  try {
    await client.connect();

    return await work(client);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      "PROVISIONING_FAILED",
      `Could not ${operation} on PostgreSQL ${config.host}:${config.port}/${config.database}: ${describeFailure(error)}.`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {
      // The connection is being thrown away, and a failed close cannot change the outcome.
    });
  }
}

function readManagementUrl(config: PostgresLoginConfig): string {
  const url = readNamedSetting(config.managementUrlSetting);
  if (url === undefined) {
    throw new AppError(
      "MISCONFIGURED",
      `Setting ${config.managementUrlSetting} is not set; set it to the management connection URL (postgresql://…) for ${config.host}:${config.port}/${config.database}.`,
    );
  }

  return url;
}

/** Describes a driver error in words that are safe to show: no URL, no password, no SQL text. */
function describeFailure(error: unknown): string {
  if (error instanceof DatabaseError) {
    switch (error.code) {
      case "28P01":
      case "28000":
        return "the management role was rejected at sign-in; check its name and password in the management URL";
      case "42501":
        return "the management role lacks a privilege it needs (CREATEROLE, ADMIN OPTION on the group role, or pg_signal_backend)";
      case "57014":
        return "a statement timed out";
      case "55P03":
        return "a lock was not granted in time";
      case "3D000":
        return "the database in the management URL does not exist";
      default:
        return `the server returned SQLSTATE ${error.code ?? "unknown"}`;
    }
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT") {
    return `the server is unreachable (${code})`;
  }
  if (error instanceof Error && /timeout/i.test(error.message)) {
    return "the connection timed out";
  }

  return "the connection failed";
}
