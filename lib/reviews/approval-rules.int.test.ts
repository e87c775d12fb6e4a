// Approval rules, late approvals, window adjustments and extensions against real PostgreSQL, with
// a warehouse target on the local server at TEST_POSTGRES_URL.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { Actor } from "@/lib/auth/session";
import { inspectLogin } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { issueDatabasePassword } from "@/lib/grants/access";
import { expireGrant } from "@/lib/grants/lifecycle";
import { sweepDueGrants } from "@/lib/grants/sweep";
import { stopBoss } from "@/lib/jobs/queue";
import { createExtensionRequest } from "@/lib/requests/extension";
import { createRequest } from "@/lib/requests/service";
import { actorFor, createWarehouse, DEFAULT_SERVER_URL, expectAppError, randomSuffix, type Warehouse } from "@/lib/testing/fixtures";

import { listReviewQueue, reviewRequest } from "./service";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
const suffix = randomSuffix();
const MINUTE = 60_000;

const actors: Record<string, Actor> = {};
const resources: Record<string, string> = {};
let target: Warehouse;



function request(resource: string, overrides: Record<string, string> = {}) {
  return {
    resourceId: resources[resource]!,
    accessLevel: "read",
    startMode: "now" as const,
    endMode: "duration" as const,
    durationMinutes: "60",
    justification: "Checking the nightly export for a support case.",
    ...overrides,
  };
}

beforeAll(async () => {
  target = await createWarehouse(SERVER_URL, suffix);
  const warehouse = (slug: string) => ({
    slug: `${slug}-${suffix}`,
    name: slug,
    kind: "POSTGRES" as const,
    config: {
      host: target.host,
      port: target.port,
      database: target.database,
      groupRole: target.groupRole,
      managementUrlSetting: target.managementUrlSetting,
    },
    accessLevels: ["read"],
    maxDurationMinutes: 240,
    vendors: [`acme-${suffix}`],
  });
  const email = (name: string) => `${name}-${suffix}@rules.example`;

  await applyPortalConfig(
    {
      vendors: [{ slug: `acme-${suffix}`, name: "Acme" }],
      users: [
        { email: email("vendor"), name: "Vendor", role: "VENDOR", vendor: `acme-${suffix}`, initialPassword: "a-long-password-1" },
        { email: email("alice"), name: "Alice", role: "APPROVER", initialPassword: "a-long-password-2" },
        { email: email("bob"), name: "Bob", role: "APPROVER", initialPassword: "a-long-password-3" },
        { email: email("carol"), name: "Carol", role: "APPROVER", initialPassword: "a-long-password-4" },
        { email: email("dave"), name: "Dave", role: "ADMIN", initialPassword: "a-long-password-5" },
      ],
      approverGroups: [{ slug: `dba-${suffix}`, name: "DBAs", members: [email("bob"), email("carol")] }],
      resources: [
        { ...warehouse("two-of-any"), requiredApprovals: 2 },
        { ...warehouse("named"), approvers: { users: [email("alice")], groups: [`dba-${suffix}`] } },
        { ...warehouse("auto"), autoApprove: { levels: ["read"], maxMinutes: 60 } },
      ],
    },
    { source: "approval rules test", actorLabel: "system:test" },
  );

  for (const name of ["vendor", "alice", "bob", "carol", "dave"]) actors[name] = await actorFor(email(name));
  for (const slug of ["two-of-any", "named", "auto"]) {
    resources[slug] = (await db.resource.findUniqueOrThrow({ where: { slug: `${slug}-${suffix}` } })).id;
  }
});

afterAll(async () => {
  await stopBoss();
  const live = await db.grant.findMany({ where: { resourceId: { in: Object.values(resources) }, status: { in: ["ACTIVE", "SCHEDULED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await db.$disconnect();
  await target.drop();
});

describe("n-of-m approvals", () => {
  test("two distinct approvals are needed and the same approver cannot count twice", async () => {
    const created = await createRequest(actors.vendor!, request("two-of-any"));

    const first = await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" });
    expect(first).toEqual({ requestStatus: "PENDING", grantId: null });
    await expectAppError(reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" }), "INVALID_STATE");

    const second = await reviewRequest(actors.bob!, { requestId: created.id, decision: "APPROVE", comment: "" });
    expect(second.requestStatus).toBe("APPROVED");
    expect(await db.grant.count({ where: { requestId: created.id } })).toBe(1);
  });

  test("one deny ends the request even after an approval", async () => {
    const created = await createRequest(actors.vendor!, request("two-of-any"));

    await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" });
    const denied = await reviewRequest(actors.bob!, { requestId: created.id, decision: "DENY", comment: "Not needed." });

    expect(denied.requestStatus).toBe("DENIED");
    expect(await db.grant.count({ where: { requestId: created.id } })).toBe(0);
  });
});

describe("named approvers", () => {
  test("only named users and group members may approve, and only they see it queued", async () => {
    const created = await createRequest(actors.vendor!, request("named"));

    const daveQueue = await listReviewQueue(actors.dave!);
    expect(daveQueue.map((item) => item.id)).not.toContain(created.id);
    await expectAppError(reviewRequest(actors.dave!, { requestId: created.id, decision: "APPROVE", comment: "" }), "FORBIDDEN");

    const carolQueue = await listReviewQueue(actors.carol!);
    expect(carolQueue.map((item) => item.id)).toContain(created.id);
    const outcome = await reviewRequest(actors.carol!, { requestId: created.id, decision: "APPROVE", comment: "" });
    expect(outcome.requestStatus).toBe("APPROVED");
  });
});

describe("auto-approval", () => {
  test("a short read request is approved by the rule and activated", async () => {
    const created = await createRequest(actors.vendor!, request("auto", { durationMinutes: "30" }));

    expect(created.status).toBe("APPROVED");
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId: created.id } });
    expect(grant.status).toBe("ACTIVE");
    const approvedEvent = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, action: "request.approved" } });
    expect(approvedEvent.actorLabel).toBe("rule:auto-approve");
    expect(approvedEvent.actorId).toBeNull();
  });

  test("a request longer than the rule allows waits for a person", async () => {
    const created = await createRequest(actors.vendor!, request("auto", { durationMinutes: "61" }));

    expect(created.status).toBe("PENDING");
  });
});

describe("windows", () => {
  test("a relative request approved late gets its full duration from approval", async () => {
    const created = await createRequest(actors.vendor!, request("named", { durationMinutes: "90" }), new Date(Date.now() - 3 * 60 * MINUTE));
    const approvedAt = new Date();

    const { grantId } = await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" }, approvedAt);
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });

    expect(grant.startsAt.getTime()).toBe(approvedAt.getTime());
    expect(grant.endsAt.getTime()).toBe(approvedAt.getTime() + 90 * MINUTE);
  });

  test("an approver may shorten the duration but not exceed the maximum", async () => {
    const created = await createRequest(actors.vendor!, request("named", { durationMinutes: "120" }));

    await expectAppError(reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "", durationMinutes: 241 }), "INVALID_INPUT");
    const { grantId } = await reviewRequest(actors.bob!, { requestId: created.id, decision: "APPROVE", comment: "", durationMinutes: 30 });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });

    expect(grant.endsAt.getTime() - grant.startsAt.getTime()).toBe(30 * MINUTE);
  });

  test("a pending fixed request whose window has ended expires by itself", async () => {
    const start = new Date(Date.now() + 10 * MINUTE);
    const created = await createRequest(actors.vendor!, {
      ...request("named"),
      startMode: "at",
      start: start.toISOString(),
      endMode: "at",
      end: new Date(start.getTime() + 30 * MINUTE).toISOString(),
    });

    await sweepDueGrants(new Date(start.getTime() + 31 * MINUTE));

    expect((await db.accessRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe("EXPIRED");
  });
});

describe("overlapping grants", () => {
  test("ending one grant leaves an overlapping grant's access intact", async () => {
    const first = await createRequest(actors.vendor!, request("named", { durationMinutes: "60" }));
    const second = await createRequest(actors.vendor!, request("named", { durationMinutes: "120" }));
    const { grantId: firstId } = await reviewRequest(actors.alice!, { requestId: first.id, decision: "APPROVE", comment: "" });
    const { grantId: secondId } = await reviewRequest(actors.alice!, { requestId: second.id, decision: "APPROVE", comment: "" });
    const secondLogin = await issueDatabasePassword(actors.vendor!, secondId!);
    const session = new pg.Client({ connectionString: secondLogin.details.buildUri(secondLogin.password) });
    session.on("error", () => {});
    await session.connect();

    const firstGrant = await db.grant.findUniqueOrThrow({ where: { id: firstId! } });
    await expireGrant(firstGrant.id, firstGrant.endsAt);

    // The second grant's open session and new sign-ins both keep working.
    await expect(session.query("SELECT count(*) FROM shipments")).resolves.toBeDefined();
    await session.end();
    const fresh = new pg.Client({ connectionString: secondLogin.details.buildUri(secondLogin.password) });
    await fresh.connect();
    await fresh.end();
    expect((await db.grant.findUniqueOrThrow({ where: { id: secondId! } })).status).toBe("ACTIVE");
  });
});

describe("extensions", () => {
  test("an approved extension moves the same grant's end with no gap", async () => {
    const created = await createRequest(actors.vendor!, request("named", { durationMinutes: "60" }));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! }, include: { resource: true } });
    const config = ZPostgresLoginConfig.parse(grant.resource.config);
    const issued = await issueDatabasePassword(actors.vendor!, grant.id);
    const newEnd = new Date(grant.endsAt.getTime() + 60 * MINUTE);

    const extension = await createExtensionRequest(actors.vendor!, {
      grantId: grant.id,
      endsAt: newEnd.toISOString(),
      justification: "The export is still running, need one more hour.",
    });
    await expectAppError(
      createExtensionRequest(actors.vendor!, { grantId: grant.id, endsAt: newEnd.toISOString(), justification: "Asking twice for the same grant." }),
      "CONFLICT",
    );
    // Before the approval the target still holds the old end: access never outlives an approved window.
    expect((await inspectLogin({ config, roleName: grant.targetName! })).validUntil?.getTime()).toBe(grant.endsAt.getTime());

    const outcome = await reviewRequest(actors.bob!, { requestId: extension.id, decision: "APPROVE", comment: "" });

    expect(outcome).toEqual({ requestStatus: "APPROVED", grantId: grant.id });
    const extended = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(extended.endsAt.getTime()).toBe(newEnd.getTime());
    expect(extended.status).toBe("ACTIVE");
    const login = await inspectLogin({ config, roleName: grant.targetName! });
    expect(login.validUntil?.getTime()).toBe(newEnd.getTime());
    expect(login.canLogin).toBe(true);
    // The password issued before the extension still works: no new credentials were needed.
    const client = new pg.Client({ connectionString: issued.details.buildUri(issued.password) });
    await client.connect();
    await client.query("SELECT 1");
    await client.end();
    expect(await db.grant.count({ where: { requestId: extension.id } })).toBe(0);
  });

  test("an extension past the resource maximum is rejected", async () => {
    const created = await createRequest(actors.vendor!, request("named", { durationMinutes: "200" }));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });

    const error = await expectAppError(
      createExtensionRequest(actors.vendor!, {
        grantId: grant.id,
        endsAt: new Date(grant.startsAt.getTime() + 241 * MINUTE).toISOString(),
        justification: "Need a little longer than allowed.",
      }),
      "INVALID_INPUT",
    );
    expect(error.fieldErrors?.endsAt?.[0]).toContain("longer than this resource allows");
  });

  test("an extension of a grant that has ended expires instead of being approved", async () => {
    const created = await createRequest(actors.vendor!, request("named", { durationMinutes: "60" }));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: created.id, decision: "APPROVE", comment: "" });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });
    const extension = await createExtensionRequest(actors.vendor!, {
      grantId: grant.id,
      endsAt: new Date(grant.endsAt.getTime() + 30 * MINUTE).toISOString(),
      justification: "More time for the investigation.",
    });

    await expireGrant(grant.id, grant.endsAt);
    await expectAppError(reviewRequest(actors.bob!, { requestId: extension.id, decision: "APPROVE", comment: "" }), "INVALID_STATE");
    await sweepDueGrants(new Date(grant.endsAt.getTime() + 1));

    expect((await db.accessRequest.findUniqueOrThrow({ where: { id: extension.id } })).status).toBe("EXPIRED");
  });
});
