// With every worker down, a grant's end is still enforced by the target itself (the login's VALID
// UNTIL), and a worker that comes back expires the grant and removes the login at once. The
// warehouse runs on an embedded server that checks passwords, because the trust-auth test server
// ignores VALID UNTIL.
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";

import { inspectLogin } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig, type PostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { db } from "@/lib/db";
import { issueDatabasePassword } from "@/lib/grants/access";
import { expireGrant } from "@/lib/grants/lifecycle";
import { countAuditEvents, createGrant, createWarehouse, randomSuffix, seedPortal, waitFor, type SeededPortal, type Warehouse } from "@/lib/testing/fixtures";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "@/scripts/test-setup/embedded-pg";

import { getBoss, QUEUES, stopBoss } from "./queue";
import { startWorker } from "./worker";

const POLLING_INTERVAL_SECONDS = 0.5;
/** The sweep and the reconciler run every minute; a returning worker must clean up well within that. */
const CLEANUP_INTERVAL_MS = 60_000;
const GRANT_WINDOW_MS = 6_000;
const INVALID_PASSWORD = "28P01";
const suffix = randomSuffix();

let server: EmbeddedPostgresServer;
let warehouse: Warehouse;
let portal: SeededPortal;
let config: PostgresLoginConfig;
const openClients = new Set<pg.Client>();
const runningWorkers = new Set<Awaited<ReturnType<typeof startWorker>>>();

beforeAll(async () => {
  server = await startEmbeddedPostgres();
  warehouse = await createWarehouse(server.superuserUrl(), suffix);
  portal = await seedPortal(warehouse, suffix);
  config = ZPostgresLoginConfig.parse((await db.resource.findUniqueOrThrow({ where: { id: portal.resourceId } })).config);
});

afterAll(async () => {
  for (const worker of runningWorkers) await worker.stop();
  for (const client of openClients) await client.end().catch(() => undefined);
  await stopBoss();
  const live = await db.grant.findMany({ where: { resourceId: portal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  delete process.env[warehouse.managementUrlSetting];
  // Stopping the server deletes its data directory, roles and databases with it.
  await server?.stop();
});

async function runWorker() {
  const worker = await startWorker({ pollingIntervalSeconds: POLLING_INTERVAL_SECONDS });
  runningWorkers.add(worker);

  return worker;
}

async function stopRunningWorker(worker: Awaited<ReturnType<typeof startWorker>>) {
  await worker.stop();
  runningWorkers.delete(worker);
}

async function connectAs(user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database: warehouse.database });
  client.on("error", () => undefined);
  openClients.add(client);
  await client.connect();

  return client;
}

/** Tries to sign in and returns the SQLSTATE of the failure, or null when sign-in worked. */
async function signInError(user: string, password: string): Promise<string | null> {
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database: warehouse.database });
  client.on("error", () => undefined);
  try {
    await client.connect();

    return null;
  } catch (error) {
    return error instanceof pg.DatabaseError ? (error.code ?? "no-code") : `not-a-database-error: ${String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts a worker, schedules a grant that starts now, waits until the worker activated it, and issues its password. */
async function activeGrantWithPassword() {
  const worker = await runWorker();
  const startsAt = new Date();
  const grant = await createGrant(portal, { startsAt, endsAt: new Date(startsAt.getTime() + GRANT_WINDOW_MS) }, { scheduleJobs: true });
  const active = await waitFor(
    "the worker to activate the grant",
    async () => {
      const current = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });

      return current.status === "ACTIVE" ? current : undefined;
    },
    { timeoutMs: 10_000 },
  );
  const { password } = await issueDatabasePassword(portal.holder, grant.id);

  return { worker, grant: active, roleName: active.targetName!, password };
}

/** Waits, by polling, until the grant's end has passed. */
async function waitPastEnd(endsAt: Date): Promise<void> {
  await waitFor("the grant's end to pass", async () => (Date.now() > endsAt.getTime() + 100 ? true : undefined), {
    timeoutMs: GRANT_WINDOW_MS + 5_000,
  });
}

async function waitUntilCleanedUp(grantId: string, roleName: string): Promise<number> {
  const returnedAt = Date.now();
  await waitFor(
    "the grant to be expired and its login dropped",
    async () => {
      const { status } = await db.grant.findUniqueOrThrow({ where: { id: grantId } });
      if (status !== "EXPIRED") return undefined;

      return (await inspectLogin({ config, roleName })).exists ? undefined : true;
    },
    { timeoutMs: CLEANUP_INTERVAL_MS, intervalMs: 200 },
  );

  return Date.now() - returnedAt;
}

test("access ends while worker is down", async () => {
  const { worker, grant, roleName, password } = await activeGrantWithPassword();
  expect(await signInError(roleName, password)).toBeNull();
  const openSession = await connectAs(roleName, password);

  await stopRunningWorker(worker);
  await waitPastEnd(grant.endsAt);

  // Nothing in the portal has acted: the grant is still ACTIVE and its login still exists...
  expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("ACTIVE");
  expect(await inspectLogin({ config, roleName })).toMatchObject({ exists: true, canLogin: true, openSessions: 1 });
  // ...yet PostgreSQL refuses the password, because VALID UNTIL has passed.
  expect(await signInError(roleName, password)).toBe(INVALID_PASSWORD);
  // VALID UNTIL is checked only at sign-in, so a session opened earlier is still open until cleanup.
  await expect(openSession.query("SELECT count(*) FROM carriers")).resolves.toMatchObject({ rowCount: 1 });

  await runWorker();
  const cleanupMs = await waitUntilCleanedUp(grant.id, roleName);

  console.info(`cleanup took ${cleanupMs} ms after the worker returned`);
  expect(cleanupMs).toBeLessThan(CLEANUP_INTERVAL_MS);
  await expect(openSession.query("SELECT 1")).rejects.toThrow();
  expect(await countAuditEvents(grant.id, "grant.expired")).toBe(1);
});

test("reconcile job cleans up lost expiry", async () => {
  const { worker, grant, roleName, password } = await activeGrantWithPassword();
  await stopRunningWorker(worker);
  // A crash lost the expiry job, so only the sweep or the reconciler can end the grant.
  await db.$executeRaw`DELETE FROM pgboss.job WHERE name = ${QUEUES.expireGrant} AND data->>'grantId' = ${grant.id}`;
  await waitPastEnd(grant.endsAt);
  expect(await signInError(roleName, password)).toBe(INVALID_PASSWORD);

  await runWorker();
  // The reconcile job runs every minute from cron; sending one runs it now instead of at the next minute.
  const jobId = await (await getBoss()).send(QUEUES.reconcile, {});
  const cleanupMs = await waitUntilCleanedUp(grant.id, roleName);

  console.info(`cleanup took ${cleanupMs} ms after the worker returned`);
  expect(await countAuditEvents(grant.id, "grant.expired")).toBe(1);
  const job = await waitFor(
    "the reconcile job to complete",
    async () => {
      const [row] = await db.$queryRaw<{ state: string }[]>`SELECT state::text AS state FROM pgboss.job WHERE id = ${jobId}::uuid`;

      return row?.state === "completed" || row?.state === "failed" ? row : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  expect(job.state).toBe("completed");
});
