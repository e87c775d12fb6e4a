import "server-only";

import { Client } from "pg";

import { env } from "@/lib/env";

export type TargetLocks = {
  /**
   * Runs `work` while holding the session advisory lock `hashtextextended(key, 0)` on the portal
   * database, and returns `{ ran: false }` at once when another session holds it.
   */
  tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
};

/** Key of the advisory lock that a PostgreSQL target's reconciler holds. */
export function postgresTargetLockKey(resourceId: string): string {
  return `pg-target:${resourceId}`;
}

/**
 * Opens one connection to the portal database for a reconcile run's target locks and closes it
 * afterwards. Session locks are used, not transaction locks, because the work under a lock runs
 * several short transactions of its own. If the connection drops, PostgreSQL releases its locks.
 * NOTE: session locks need a direct connection or a session-mode pooler; a transaction-mode
 * pooler such as PgBouncer in transaction mode would release them early.
 */
export async function withTargetLocks<T>(work: (locks: TargetLocks) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: env.DATABASE_URL, application_name: "vendor-access-portal reconciler" });
  // A dropped connection also fails the query in flight, which is what gets reported.
  client.on("error", () => undefined);
  await client.connect();

  const locks: TargetLocks = {
    async tryWithLock(key, lockedWork) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [key]);
      if (rows[0]?.locked !== true) return { ran: false };

      try {
        return { ran: true, value: await lockedWork() };
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
      }
    },
  };

  try {
    return await work(locks);
  } finally {
    await client.end().catch(() => {
      // The connection is being thrown away; closing it also releases any lock still held.
    });
  }
}
