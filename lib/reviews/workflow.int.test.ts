// The request → review → grant → credentials → expiry flow against real PostgreSQL: the portal
// database from the integration setup, and a warehouse target on the local server at
// TEST_POSTGRES_URL (trust auth, so passwords are not checked here; the backend's own tests
// check them against a server that does).

import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { verifyAuditChain } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { inspectLogin } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { issueDatabasePassword } from "@/lib/grants/access";
import { expireGrant } from "@/lib/grants/lifecycle";
import { revokeGrantAsActor } from "@/lib/grants/revoke";
import { stopBoss } from "@/lib/jobs/queue";
import { actorFor, createWarehouse, DEFAULT_SERVER_URL, expectAppError, randomSuffix, type Warehouse } from "@/lib/testing/fixtures";
import { cancelRequest, createRequest, getRequestForActor } from "@/lib/requests/service";

import { reviewRequest } from "./service";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
const suffix = randomSuffix();

let warehouse: Warehouse;
let vendorA: Actor;
let vendorA2: Actor;
let vendorB: Actor;
let approver: Actor;
let approver2: Actor;
let warehouseResourceId: string;



function newRequestInput(overrides: Record<string, string> = {}) {
  return {
    resourceId: warehouseResourceId,
    accessLevel: "read",
    startMode: "now" as const,
    endMode: "duration" as const,
    durationMinutes: "60",
    justification: "Investigating the shipment sync job for ticket 4411.",
    ...overrides,
  };
}

beforeAll(async () => {
  warehouse = await createWarehouse(SERVER_URL, suffix);

  await applyPortalConfig(
    {
      vendors: [
        { slug: `acme-${suffix}`, name: "Acme" },
        { slug: `north-${suffix}`, name: "Northwind" },
      ],
      users: [
        { email: `a1-${suffix}@acme.example`, name: "A One", role: "VENDOR", vendor: `acme-${suffix}`, initialPassword: "a-long-password-1" },
        { email: `a2-${suffix}@acme.example`, name: "A Two", role: "VENDOR", vendor: `acme-${suffix}`, initialPassword: "a-long-password-2" },
        { email: `b1-${suffix}@north.example`, name: "B One", role: "VENDOR", vendor: `north-${suffix}`, initialPassword: "a-long-password-3" },
        { email: `ap1-${suffix}@corp.example`, name: "Approver One", role: "APPROVER", initialPassword: "a-long-password-4" },
        { email: `ap2-${suffix}@corp.example`, name: "Approver Two", role: "APPROVER", initialPassword: "a-long-password-5" },
      ],
      resources: [
        {
          slug: `wh-${suffix}`,
          name: "Warehouse",
          kind: "POSTGRES",
          config: {
            host: warehouse.host,
            port: warehouse.port,
            database: warehouse.database,
            groupRole: warehouse.groupRole,
            managementUrlSetting: warehouse.managementUrlSetting,
          },
          accessLevels: ["read"],
          maxDurationMinutes: 240,
          vendors: [`acme-${suffix}`],
        },
      ],
    },
    { source: "workflow test", actorLabel: "system:test" },
  );

  vendorA = await actorFor(`a1-${suffix}@acme.example`);
  vendorA2 = await actorFor(`a2-${suffix}@acme.example`);
  vendorB = await actorFor(`b1-${suffix}@north.example`);
  approver = await actorFor(`ap1-${suffix}@corp.example`);
  approver2 = await actorFor(`ap2-${suffix}@corp.example`);
  warehouseResourceId = (await db.resource.findUniqueOrThrow({ where: { slug: `wh-${suffix}` } })).id;
});

afterAll(async () => {
  await stopBoss();
  const grants = await db.grant.findMany({ where: { resourceId: warehouseResourceId, status: { in: ["ACTIVE", "SCHEDULED"] } } });
  for (const grant of grants) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await db.$disconnect();
  await warehouse.drop();
});

describe("creating requests", () => {
  test("rejects a resource not offered to the vendor", async () => {
    const error = await expectAppError(createRequest(vendorB, newRequestInput()), "INVALID_INPUT");

    expect(error.fieldErrors?.resourceId?.[0]).toContain("Choose one of the resources");
  });

  test("rejects an unknown resource with the same message", async () => {
    const error = await expectAppError(createRequest(vendorA, newRequestInput({ resourceId: "does-not-exist" })), "INVALID_INPUT");

    expect(error.fieldErrors?.resourceId?.[0]).toContain("Choose one of the resources");
  });

  test("rejects a duration over the resource maximum", async () => {
    const error = await expectAppError(createRequest(vendorA, newRequestInput({ durationMinutes: "241" })), "INVALID_INPUT");

    expect(error.fieldErrors?.durationMinutes?.[0]).toContain("longer than this resource allows");
  });

  test("rejects an end before the start", async () => {
    const start = new Date(Date.now() + 60 * 60_000);
    const input = { ...newRequestInput(), startMode: "at" as const, start: start.toISOString(), endMode: "at" as const, end: new Date(start.getTime() - 60_000).toISOString() };
    const error = await expectAppError(createRequest(vendorA, input), "INVALID_INPUT");

    expect(error.fieldErrors?.end?.[0]).toContain("after the start");
  });

  test("rejects an empty and an oversized justification", async () => {
    const empty = await expectAppError(createRequest(vendorA, newRequestInput({ justification: "   " })), "INVALID_INPUT");
    const huge = await expectAppError(createRequest(vendorA, newRequestInput({ justification: "x".repeat(2001) })), "INVALID_INPUT");

    expect(empty.fieldErrors?.justification?.[0]).toContain("at least 10 characters");
    expect(huge.fieldErrors?.justification?.[0]).toContain("2000 characters or fewer");
  });

  test("rejects an access level the resource does not offer", async () => {
    const error = await expectAppError(createRequest(vendorA, newRequestInput({ accessLevel: "read-write" })), "INVALID_INPUT");

    expect(error.fieldErrors?.accessLevel?.[0]).toContain("read");
  });
});

describe("vendor isolation", () => {
  test("another vendor's request is not found", async () => {
    const request = await createRequest(vendorA, newRequestInput());

    await expectAppError(getRequestForActor(vendorB, request.id), "NOT_FOUND");
    await expect(getRequestForActor(vendorA2, request.id)).resolves.toMatchObject({ id: request.id });
  });
});

describe("review and grant", () => {
  test("approval activates a login that can read the warehouse", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const outcome = await reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "ok" });

    expect(outcome.requestStatus).toBe("APPROVED");
    const grant = await db.grant.findUniqueOrThrow({ where: { id: outcome.grantId! }, include: { resource: true } });
    expect(grant.status).toBe("ACTIVE");
    expect(grant.endsAt.getTime() - grant.startsAt.getTime()).toBe(60 * 60_000);

    const issued = await issueDatabasePassword(vendorA, grant.id);
    expect(issued.password.length).toBeGreaterThanOrEqual(32);
    const client = new pg.Client({ connectionString: issued.details.buildUri(issued.password) });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM shipments");
      expect(rows[0].n).toBeGreaterThan(0);
      await expect(client.query("INSERT INTO carriers (name) VALUES ('x')")).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }

    const issuance = await db.issuance.findFirstOrThrow({ where: { grantId: grant.id } });
    expect(issuance.kind).toBe("DB_PASSWORD");
    expect(JSON.stringify(issuance)).not.toContain(issued.password);
    const auditText = JSON.stringify(await db.auditEvent.findMany({ where: { grantId: grant.id } }), (_key, value) =>
      typeof value === "bigint" ? String(value) : value,
    );
    expect(auditText).not.toContain(issued.password);
  });

  test("credentials go only to the holder and never to another vendor", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const { grantId } = await reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });

    await expectAppError(issueDatabasePassword(vendorB, grantId!), "NOT_FOUND");
    await expectAppError(issueDatabasePassword(vendorA2, grantId!), "FORBIDDEN");
  });

  test("a decided request is read-only", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    await reviewRequest(approver, { requestId: request.id, decision: "DENY", comment: "Not this week." });

    await expectAppError(reviewRequest(approver2, { requestId: request.id, decision: "APPROVE", comment: "" }), "INVALID_STATE");
    await expectAppError(cancelRequest(vendorA, request.id), "INVALID_STATE");
  });

  test("a deny needs a comment", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const error = await expectAppError(reviewRequest(approver, { requestId: request.id, decision: "DENY", comment: "" }), "INVALID_INPUT");

    expect(error.fieldErrors?.comment).toBeDefined();
  });

  test("nobody reviews their own request", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const selfReviewer: Actor = { ...vendorA, role: "APPROVER" };

    await expectAppError(reviewRequest(selfReviewer, { requestId: request.id, decision: "APPROVE", comment: "" }), "FORBIDDEN");
  });

  test("vendors cannot review", async () => {
    const request = await createRequest(vendorA, newRequestInput());

    await expectAppError(reviewRequest(vendorA2, { requestId: request.id, decision: "APPROVE", comment: "" }), "NOT_FOUND");
  });

  test("two approvers at once produce exactly one grant", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const results = await Promise.allSettled([
      reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" }),
      reviewRequest(approver2, { requestId: request.id, decision: "APPROVE", comment: "" }),
    ]);

    const fulfilled = results.filter((result) => result.status === "fulfilled");
    const rejected = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0]!.reason as AppError).code).toBe("INVALID_STATE");
    expect(await db.grant.count({ where: { requestId: request.id } })).toBe(1);
    expect(await db.auditEvent.count({ where: { requestId: request.id, action: "request.approved" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { requestId: request.id, action: "grant.activated" } })).toBe(1);
  });

  test("the requester can cancel a pending request", async () => {
    const request = await createRequest(vendorA, newRequestInput());

    await expectAppError(cancelRequest(vendorA2, request.id), "NOT_FOUND");
    await expect(cancelRequest(vendorA, request.id)).resolves.toMatchObject({ status: "CANCELLED" });
  });
});

describe("revocation", () => {
  async function activeGrant() {
    const request = await createRequest(vendorA, newRequestInput());
    const { grantId } = await reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });

    return db.grant.findUniqueOrThrow({ where: { id: grantId! }, include: { resource: true } });
  }

  test("an approver revokes with a reason and the open session is terminated", async () => {
    const grant = await activeGrant();
    const issued = await issueDatabasePassword(vendorA, grant.id);
    const session = new pg.Client({ connectionString: issued.details.buildUri(issued.password) });
    session.on("error", () => {});
    await session.connect();
    await session.query("SELECT 1");

    const missingReason = await expectAppError(revokeGrantAsActor(approver, { grantId: grant.id, reason: "" }), "INVALID_INPUT");
    expect(missingReason.fieldErrors?.reason).toBeDefined();
    await revokeGrantAsActor(approver, { grantId: grant.id, reason: "Ticket closed." });

    await expect(session.query("SELECT 1")).rejects.toThrow();
    await session.end().catch(() => {});
    const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(revoked.status).toBe("REVOKED");
    expect(revoked.revokeReason).toBe("Ticket closed.");
    expect(revoked.revokedById).toBe(approver.id);
    const config = ZPostgresLoginConfig.parse(grant.resource.config);
    expect((await inspectLogin({ config, roleName: grant.targetName! })).exists).toBe(false);
    await expectAppError(issueDatabasePassword(vendorA, grant.id), "INVALID_STATE");
    await expectAppError(revokeGrantAsActor(approver, { grantId: grant.id, reason: "again" }), "INVALID_STATE");
  });

  test("the holder gives up early; other users of the vendor and other vendors cannot", async () => {
    const grant = await activeGrant();

    await expectAppError(revokeGrantAsActor(vendorB, { grantId: grant.id }), "NOT_FOUND");
    await expectAppError(revokeGrantAsActor(vendorA2, { grantId: grant.id }), "FORBIDDEN");
    await revokeGrantAsActor(vendorA, { grantId: grant.id });

    const revoked = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(revoked.status).toBe("REVOKED");
    expect(revoked.revokeReason).toContain("Given up");
  });
});

describe("cancelling an approved request", () => {
  test("revokes its grant and keeps the approval on record", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const { grantId } = await reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });

    const cancelled = await cancelRequest(vendorA, request.id);

    expect(cancelled.status).toBe("APPROVED");
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });
    expect(grant.status).toBe("REVOKED");
    expect(grant.revokeReason).toBe("The request was cancelled.");
  });
});

describe("expiry", () => {
  test("expiring a grant drops its login and refuses new credentials", async () => {
    const request = await createRequest(vendorA, newRequestInput());
    const { grantId } = await reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! }, include: { resource: true } });
    const config = ZPostgresLoginConfig.parse(grant.resource.config);

    expect((await inspectLogin({ config, roleName: grant.targetName! })).exists).toBe(true);
    expect(await expireGrant(grant.id, new Date(grant.endsAt.getTime() - 1000))).toBe("not-due");
    expect(await expireGrant(grant.id, grant.endsAt)).toBe("ended");

    expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("EXPIRED");
    expect((await inspectLogin({ config, roleName: grant.targetName! })).exists).toBe(false);
    await expectAppError(issueDatabasePassword(vendorA, grant.id), "INVALID_STATE");
    expect(await expireGrant(grant.id, grant.endsAt)).toBe("already-final");
  });

  test("the audit chain verifies after the whole flow", async () => {
    const result = await verifyAuditChain();

    expect(result).toMatchObject({ ok: true });
  });
});
