// The worker expires a batch of grants that end together concurrently. An expiry that fails
// (here because a target's management URL setting is missing) fails only its own job, which
// pg-boss retries. The other grants of the batch expire, and their logins are dropped.
import { afterAll, beforeAll, expect, test } from "vitest";

import { inspectLogin, loginRoleName } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig, type PostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { db } from "@/lib/db";
import { expireGrant } from "@/lib/grants/lifecycle";
import {
  countAuditEvents,
  createGrant,
  createWarehouse,
  DEFAULT_SERVER_URL,
  randomSuffix,
  seedPortal,
  waitFor,
  type SeededPortal,
  type Warehouse,
} from "@/lib/testing/fixtures";

import { QUEUES, stopBoss } from "./queue";
import { startWorker } from "./worker";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
// More than one batch of 8, so the worker has to fetch again after a full batch.
const GRANT_COUNT = 11;
// Time for the worker to activate every grant before the common end.
const GRANT_WINDOW_MS = 8_000;
const suffix = randomSuffix();
const brokenSuffix = randomSuffix();
const MISSING_SETTING = `EXPIRY_BATCH_TEST_${brokenSuffix.toUpperCase()}_URL`;

let warehouse: Warehouse;
let portal: SeededPortal;
let brokenPortal: SeededPortal;
let config: PostgresLoginConfig;
let worker: Awaited<ReturnType<typeof startWorker>> | undefined;

beforeAll(async () => {
  warehouse = await createWarehouse(SERVER_URL, suffix);
  portal = await seedPortal(warehouse, suffix);
  // The same warehouse, offered through a resource whose management URL setting is not set.
  brokenPortal = await seedPortal({ ...warehouse, managementUrlSetting: MISSING_SETTING }, brokenSuffix);
  config = ZPostgresLoginConfig.parse((await db.resource.findUniqueOrThrow({ where: { id: portal.resourceId } })).config);
});

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  // The broken grant can never reach its target; end it in the portal only.
  await db.grant.updateMany({ where: { resourceId: brokenPortal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } }, data: { status: "EXPIRED", endedAt: new Date() } });
  const live = await db.grant.findMany({ where: { resourceId: portal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await warehouse.drop();
});

test("expiry batch with one failing target", async () => {
  worker = await startWorker({ pollingIntervalSeconds: 0.5 });
  const startsAt = new Date();
  const endsAt = new Date(startsAt.getTime() + GRANT_WINDOW_MS);

  const grants = [];
  for (let index = 0; index < GRANT_COUNT; index++) grants.push(await createGrant(portal, { startsAt, endsAt }, { scheduleJobs: true }));
  // Already active: its activation job has nothing to do, and its expiry cannot reach the target.
  const broken = await createGrant(brokenPortal, { startsAt, endsAt }, { status: "ACTIVE", scheduleJobs: true });
  const grantIds = grants.map((grant) => grant.id);

  await waitFor(
    "every grant to be active",
    async () => ((await db.grant.count({ where: { id: { in: grantIds }, status: "ACTIVE" } })) === GRANT_COUNT ? true : undefined),
    { timeoutMs: GRANT_WINDOW_MS, intervalMs: 200 },
  );
  for (const grant of grants) expect((await inspectLogin({ config, roleName: loginRoleName(grant.id) })).exists, `login of ${grant.id}`).toBe(true);

  await waitFor(
    "every working grant to expire",
    async () => ((await db.grant.count({ where: { id: { in: grantIds }, status: "EXPIRED" } })) === GRANT_COUNT ? true : undefined),
    { timeoutMs: GRANT_WINDOW_MS + 20_000, intervalMs: 200 },
  );
  const failedJob = await waitFor(
    "the broken grant's expiry job to fail",
    async () => {
      const rows = await db.$queryRaw<{ state: string; retry_count: number; output: { message?: string } | null }[]>`
        SELECT state::text AS state, retry_count, output FROM pgboss.job
         WHERE name = ${QUEUES.expireGrant} AND data->>'grantId' = ${broken.id} AND state IN ('retry', 'failed')`;

      return rows[0];
    },
    { timeoutMs: 10_000, intervalMs: 200 },
  );

  expect(failedJob.output?.message).toContain(`Setting ${MISSING_SETTING} is not set`);
  expect((await db.grant.findUniqueOrThrow({ where: { id: broken.id } })).status).toBe("ACTIVE");
  expect(await countAuditEvents(broken.id, "grant.expired")).toBe(0);

  for (const grant of grants) {
    expect((await inspectLogin({ config, roleName: loginRoleName(grant.id) })).exists, `login of ${grant.id} after expiry`).toBe(false);
    expect(await countAuditEvents(grant.id, "grant.expired"), `grant.expired events of ${grant.id}`).toBe(1);
  }
  const jobs = await db.$queryRaw<{ state: string; retry_count: number; grant_id: string }[]>`
    SELECT state::text AS state, retry_count, data->>'grantId' AS grant_id
      FROM pgboss.job
     WHERE name = ${QUEUES.expireGrant} AND data->>'grantId' = ANY(${grantIds})`;
  expect(jobs).toHaveLength(GRANT_COUNT);
  for (const job of jobs) expect(job, `expiry job of ${job.grant_id}`).toMatchObject({ state: "completed", retry_count: 0 });
});
