// Retrying FAILED grants against a real warehouse on the local server at TEST_POSTGRES_URL.
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { inspectLogin, loginRoleName } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { stopBoss } from "@/lib/jobs/queue";
import { countAuditEvents, createGrant, createWarehouse, DEFAULT_SERVER_URL, randomSuffix, seedPortal, type SeededPortal, type Warehouse } from "@/lib/testing/fixtures";

import { activateGrant, expireGrant, MAX_ACTIVATION_ATTEMPTS } from "./lifecycle";
import { listGrantsNeedingAttention, retryFailedGrant } from "./retry";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
const HOUR_MS = 3_600_000;
const suffix = randomSuffix();

let warehouse: Warehouse;
let portal: SeededPortal;
let managementUrl: string;

beforeAll(async () => {
  warehouse = await createWarehouse(SERVER_URL, suffix);
  portal = await seedPortal(warehouse, suffix);
  managementUrl = process.env[warehouse.managementUrlSetting]!;
});

afterAll(async () => {
  process.env[warehouse.managementUrlSetting] = managementUrl;
  await stopBoss();
  const live = await db.grant.findMany({ where: { resourceId: portal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await warehouse.drop();
});

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);

  return error;
}

/** Runs activation with the target's management URL missing until the grant is FAILED. */
async function failedGrant() {
  const now = Date.now();
  const grant = await createGrant(portal, { startsAt: new Date(now - 60_000), endsAt: new Date(now + HOUR_MS) });
  delete process.env[warehouse.managementUrlSetting];
  try {
    for (let attempt = 1; attempt <= MAX_ACTIVATION_ATTEMPTS; attempt++) {
      await expect(activateGrant(grant.id)).rejects.toThrow(/is not set/);
    }
  } finally {
    process.env[warehouse.managementUrlSetting] = managementUrl;
  }

  return db.grant.findUniqueOrThrow({ where: { id: grant.id } });
}

describe("retryFailedGrant", () => {
  test("failed grant is listed with its error", async () => {
    const grant = await failedGrant();

    expect(grant).toMatchObject({ status: "FAILED", attempts: MAX_ACTIVATION_ATTEMPTS });
    const listed = (await listGrantsNeedingAttention()).find((row) => row.id === grant.id);
    expect(listed?.lastError).toContain(warehouse.managementUrlSetting);
  });

  test("admin retry activates a failed grant", async () => {
    const grant = await failedGrant();

    const result = await retryFailedGrant(portal.admin, grant.id);

    expect(result).toEqual({ grantId: grant.id, outcome: "activated", lastError: null });
    const after = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(after).toMatchObject({ status: "ACTIVE", attempts: 1, lastError: null });
    expect(await countAuditEvents(grant.id, "grant.retry_requested")).toBe(1);
    expect(await countAuditEvents(grant.id, "grant.activated")).toBe(1);
    const event = await db.auditEvent.findFirstOrThrow({ where: { grantId: grant.id, action: "grant.retry_requested" } });
    expect(event).toMatchObject({ actorId: portal.admin.id, data: { previousAttempts: MAX_ACTIVATION_ATTEMPTS } });
    const config = ZPostgresLoginConfig.parse((await db.resource.findUniqueOrThrow({ where: { id: portal.resourceId } })).config);
    expect((await inspectLogin({ config, roleName: loginRoleName(grant.id) })).canLogin).toBe(true);
  });

  test("retry that fails again leaves the grant scheduled", async () => {
    const grant = await failedGrant();
    delete process.env[warehouse.managementUrlSetting];
    try {
      const result = await retryFailedGrant(portal.admin, grant.id);

      expect(result.outcome).toBe("failed");
      expect(result.lastError).toContain(warehouse.managementUrlSetting);
    } finally {
      process.env[warehouse.managementUrlSetting] = managementUrl;
    }
    expect(await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).toMatchObject({ status: "SCHEDULED", attempts: 1 });
    const latest = await db.auditEvent.findMany({ where: { grantId: grant.id }, orderBy: { seq: "desc" }, take: 2 });
    expect(latest.map((event) => event.action)).toEqual(["grant.activation_retry", "grant.retry_requested"]);
    expect(latest[0]?.data).toMatchObject({ attempts: 1 });
  });

  test("non-admins cannot retry", async () => {
    const grant = await failedGrant();

    expect((await appErrorOf(retryFailedGrant(portal.holder, grant.id))).code).toBe("FORBIDDEN");
    expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("FAILED");
  });

  test("active grant cannot be retried", async () => {
    const now = Date.now();
    const grant = await createGrant(portal, { startsAt: new Date(now - 60_000), endsAt: new Date(now + HOUR_MS) });
    await activateGrant(grant.id);

    expect((await appErrorOf(retryFailedGrant(portal.admin, grant.id))).code).toBe("INVALID_STATE");
  });

  test("ended failed grant cannot be retried", async () => {
    const grant = await failedGrant();

    const error = await appErrorOf(retryFailedGrant(portal.admin, grant.id, new Date(grant.endsAt.getTime() + 1)));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain("ended");
  });

  test("unknown grant is not found", async () => {
    expect((await appErrorOf(retryFailedGrant(portal.admin, "does-not-exist"))).code).toBe("NOT_FOUND");
  });
});
