// Drift repairs on a PostgreSQL target: someone changes a login role by hand, or a cleanup was lost,
// and reconcileAll() puts the target back in line with the portal database. The warehouse lives on
// the local server at TEST_POSTGRES_URL (trust auth), so sessions here need no password.
import { randomBytes } from "node:crypto";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { verifyAuditChain } from "@/lib/audit";
import { inspectLogin, loginRoleName, provisionLogin } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig, type PostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { db } from "@/lib/db";
import { activateGrant, expireGrant } from "@/lib/grants/lifecycle";
import { stopBoss } from "@/lib/jobs/queue";

import { reconcileAll, REPAIRED_ACTION, type ReconcileSummary } from "./index";
import { postgresTargetLockKey } from "./target-lock";
import { countAuditEvents, createGrant, createWarehouse, DEFAULT_SERVER_URL, randomSuffix, seedPortal, type SeededPortal, type Warehouse } from "@/lib/testing/fixtures";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
const HOUR_MS = 3_600_000;
const suffix = randomSuffix();

let warehouse: Warehouse;
let portal: SeededPortal;
let config: PostgresLoginConfig;
let superuser: pg.Client;
const openClients = new Set<pg.Client>();
const handMadeRoles: string[] = [];

beforeAll(async () => {
  warehouse = await createWarehouse(SERVER_URL, suffix);
  portal = await seedPortal(warehouse, suffix);
  config = ZPostgresLoginConfig.parse((await db.resource.findUniqueOrThrow({ where: { id: portal.resourceId } })).config);
  superuser = await track(new pg.Client({ connectionString: warehouse.superuserUrl }));
});

afterAll(async () => {
  for (const client of openClients) await client.end().catch(() => undefined);
  await stopBoss();
  const live = await db.grant.findMany({ where: { resourceId: portal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await warehouse.drop(handMadeRoles);
});

async function track(client: pg.Client): Promise<pg.Client> {
  client.on("error", () => undefined);
  openClients.add(client);
  await client.connect();

  return client;
}

function connectAs(roleName: string): Promise<pg.Client> {
  return track(new pg.Client({ host: warehouse.host, port: warehouse.port, user: roleName, database: warehouse.database }));
}

/** Creates a grant that started a minute ago and ends in an hour, and activates it at the target. */
async function activeGrant() {
  const now = Date.now();
  const grant = await createGrant(portal, { startsAt: new Date(now - 60_000), endsAt: new Date(now + HOUR_MS) });
  expect(await activateGrant(grant.id)).toBe("activated");

  return db.grant.findUniqueOrThrow({ where: { id: grant.id } });
}

async function storedVerifier(roleName: string): Promise<string | null> {
  const { rows } = await superuser.query<{ rolpassword: string | null }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [roleName]);

  return rows[0]?.rolpassword ?? null;
}

/** Repairs of this test's resource only: the shared test database may hold other files' resources. */
function ownRepairs(summary: ReconcileSummary) {
  return summary.repairs.filter((repair) => repair.target === `resource ${portal.resourceSlug}`);
}

function ownFailures(summary: ReconcileSummary) {
  return summary.failures.filter((failure) => failure.target === `resource ${portal.resourceSlug}`);
}

async function repairEventsOf(grantId: string) {
  return db.auditEvent.findMany({ where: { grantId, action: REPAIRED_ACTION }, orderBy: { seq: "asc" } });
}

describe("live grant logins", () => {
  test("matching login needs no repair", async () => {
    const grant = await activeGrant();

    const summary = await reconcileAll();

    expect(ownFailures(summary)).toEqual([]);
    expect(ownRepairs(summary).filter((repair) => repair.grantId === grant.id)).toEqual([]);
    expect(await repairEventsOf(grant.id)).toHaveLength(0);
  });

  test("VALID UNTIL changed by hand is restored", async () => {
    const grant = await activeGrant();
    const roleName = grant.targetName!;
    const verifierBefore = await storedVerifier(roleName);
    await superuser.query(`ALTER ROLE ${pg.escapeIdentifier(roleName)} VALID UNTIL 'infinity'`);

    const summary = await reconcileAll();

    expect(ownFailures(summary)).toEqual([]);
    expect(ownRepairs(summary)).toContainEqual(expect.objectContaining({ grantId: grant.id, repair: "restored-login", differences: ["valid-until"] }));
    expect((await inspectLogin({ config, roleName })).validUntil?.getTime()).toBe(grant.endsAt.getTime());
    expect(await storedVerifier(roleName)).toBe(verifierBefore);
    const [event] = await repairEventsOf(grant.id);
    expect(event?.data).toMatchObject({ repair: "restored-login", held: { validUntil: null }, desired: { validUntil: grant.endsAt.toISOString() }, passwordChanged: false });
  });

  test("revoked group membership is granted again", async () => {
    const grant = await activeGrant();
    const roleName = grant.targetName!;
    const verifierBefore = await storedVerifier(roleName);
    await superuser.query(`REVOKE ${pg.escapeIdentifier(warehouse.groupRole)} FROM ${pg.escapeIdentifier(roleName)}`);
    expect((await inspectLogin({ config, roleName })).memberOf).toEqual([]);

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(
      expect.objectContaining({ grantId: grant.id, repair: "restored-login", differences: ["group-membership-missing"] }),
    );
    expect((await inspectLogin({ config, roleName })).memberOf).toEqual([warehouse.groupRole]);
    expect(await storedVerifier(roleName)).toBe(verifierBefore);
    const session = await connectAs(roleName);
    await expect(session.query("SELECT count(*) FROM shipments")).resolves.toMatchObject({ rowCount: 1 });
  });

  test("NOLOGIN and CREATEROLE set by hand are undone", async () => {
    const grant = await activeGrant();
    const roleName = grant.targetName!;
    await superuser.query(`ALTER ROLE ${pg.escapeIdentifier(roleName)} NOLOGIN CREATEROLE CONNECTION LIMIT 50`);

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(
      expect.objectContaining({ grantId: grant.id, repair: "restored-login", differences: ["login-disabled", "connection-limit", "elevated-attributes"] }),
    );
    const after = await inspectLogin({ config, roleName });
    expect(after.canLogin).toBe(true);
    expect(after.elevatedAttributes).toEqual([]);
    expect(after.connectionLimit).toBe(5);
  });

  test("dropped role is recreated with a new password", async () => {
    const grant = await activeGrant();
    const roleName = grant.targetName!;
    const verifierBefore = await storedVerifier(roleName);
    await superuser.query(`DROP ROLE ${pg.escapeIdentifier(roleName)}`);

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(expect.objectContaining({ grantId: grant.id, repair: "recreated-login", differences: ["role-missing"] }));
    const after = await inspectLogin({ config, roleName });
    expect(after).toMatchObject({ exists: true, canLogin: true, memberOf: [warehouse.groupRole] });
    expect(after.validUntil?.getTime()).toBe(grant.endsAt.getTime());
    expect(await storedVerifier(roleName)).not.toBe(verifierBefore);
    const [event] = await repairEventsOf(grant.id);
    expect(event?.data).toMatchObject({ repair: "recreated-login", holderMustFetchNewPassword: true, held: { exists: false } });
  });
});

describe("ended grants and orphans", () => {
  test("ended grant's login with an open session is dropped", async () => {
    const grant = await activeGrant();
    const roleName = grant.targetName!;
    const session = await connectAs(roleName);
    // The grant ended in the database, but its cleanup never reached the target.
    await db.grant.update({ where: { id: grant.id }, data: { status: "EXPIRED", endedAt: new Date() } });

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(
      expect.objectContaining({ grantId: grant.id, repair: "revoked-login", differences: ["login-enabled", "open-sessions", "group-membership-left"] }),
    );
    expect((await inspectLogin({ config, roleName })).exists).toBe(false);
    await expect(session.query("SELECT 1")).rejects.toThrow();
    const [event] = await repairEventsOf(grant.id);
    expect(event?.data).toMatchObject({ repair: "revoked-login", grantStatus: "EXPIRED", terminatedSessions: 1, dropped: true });
  });

  test("login of a grant not yet active is removed", async () => {
    // A crash between the target write and the commit: the role exists, the grant is still SCHEDULED.
    const grant = await createGrant(portal, { startsAt: new Date(Date.now() + HOUR_MS), endsAt: new Date(Date.now() + 2 * HOUR_MS) });
    const { roleName } = await provisionLogin({ config, grantId: grant.id, endsAt: grant.endsAt });

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(expect.objectContaining({ grantId: grant.id, subject: roleName, repair: "revoked-login" }));
    expect((await inspectLogin({ config, roleName })).exists).toBe(false);
    expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("SCHEDULED");
  });

  test("orphan login role is removed", async () => {
    const roleName = `vap_g_orphan${randomBytes(6).toString("hex")}`;
    handMadeRoles.push(roleName);
    await superuser.query(`CREATE ROLE ${pg.escapeIdentifier(roleName)} LOGIN IN ROLE ${pg.escapeIdentifier(warehouse.groupRole)}`);

    const summary = await reconcileAll();

    expect(ownRepairs(summary)).toContainEqual(expect.objectContaining({ grantId: null, subject: roleName, repair: "revoked-orphan-login" }));
    expect((await inspectLogin({ config, roleName })).exists).toBe(false);
    const events = await db.auditEvent.findMany({ where: { action: REPAIRED_ACTION, subjectType: "resource", subjectId: portal.resourceId } });
    expect(events.map((event) => (event.data as { subject?: string }).subject)).toContain(roleName);
  });

  test("login roles of other databases are left alone", async () => {
    const roleName = `vap_g_other${randomBytes(6).toString("hex")}`;
    handMadeRoles.push(roleName);
    await superuser.query(`CREATE ROLE ${pg.escapeIdentifier(roleName)} LOGIN`);

    const summary = await reconcileAll();

    expect(ownRepairs(summary).map((repair) => repair.subject)).not.toContain(roleName);
    expect((await inspectLogin({ config, roleName })).exists).toBe(true);
  });

  test("overdue live grant is expired and its login dropped", async () => {
    // Ends well before the other tests' grants, so running the reconciler just after its end
    // finds only this grant overdue.
    const grant = await createGrant(portal, { startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 60_000) });
    expect(await activateGrant(grant.id)).toBe("activated");
    const roleName = loginRoleName(grant.id);
    const afterEnd = new Date(grant.endsAt.getTime() + 1000);

    const summary = await reconcileAll({ now: afterEnd });

    expect(ownRepairs(summary)).toContainEqual(expect.objectContaining({ grantId: grant.id, repair: "expired-overdue-grant" }));
    expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("EXPIRED");
    expect(await countAuditEvents(grant.id, "grant.expired")).toBe(1);
    expect((await inspectLogin({ config, roleName })).exists).toBe(false);
  });
});

describe("concurrency and audit", () => {
  test("two reconcilers at once repair once", async () => {
    const grant = await activeGrant();
    await superuser.query(`ALTER ROLE ${pg.escapeIdentifier(grant.targetName!)} VALID UNTIL 'infinity'`);

    const [first, second] = await Promise.all([reconcileAll(), reconcileAll()]);
    const repairs = [...ownRepairs(first), ...ownRepairs(second)].filter((repair) => repair.grantId === grant.id);

    expect(repairs).toHaveLength(1);
    expect(await repairEventsOf(grant.id)).toHaveLength(1);
    expect([...ownFailures(first), ...ownFailures(second)]).toEqual([]);
  });

  test("target locked by another reconciler is skipped", async () => {
    const grant = await activeGrant();
    await superuser.query(`ALTER ROLE ${pg.escapeIdentifier(grant.targetName!)} VALID UNTIL 'infinity'`);
    const otherReconciler = await track(new pg.Client({ connectionString: process.env.DATABASE_URL }));
    await otherReconciler.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [postgresTargetLockKey(portal.resourceId)]);

    const whileLocked = await reconcileAll();

    expect(whileLocked.targetsSkipped).toContain(`resource ${portal.resourceSlug}`);
    expect(ownRepairs(whileLocked)).toEqual([]);
    expect((await inspectLogin({ config, roleName: grant.targetName! })).validUntil).toBeNull();

    await otherReconciler.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [postgresTargetLockKey(portal.resourceId)]);
    const afterRelease = await reconcileAll();

    expect(afterRelease.targetsSkipped).not.toContain(`resource ${portal.resourceSlug}`);
    expect(ownRepairs(afterRelease)).toEqual([expect.objectContaining({ grantId: grant.id, repair: "restored-login" })]);
  });

  test("every repair is audited; chain verifies", async () => {
    const events = await db.auditEvent.findMany({ where: { action: REPAIRED_ACTION } });
    const ownEvents = events.filter((event) => (event.data as { target?: string }).target === `resource ${portal.resourceSlug}`);

    // One per repair above: 4 restores or recreations, 2 revocations, 1 orphan, 1 expiry, 2 restores under the lock tests.
    expect(ownEvents).toHaveLength(10);
    for (const event of ownEvents) expect(JSON.stringify(event.data)).not.toMatch(/password"\s*:\s*"|SCRAM-SHA-256/);
    await expect(verifyAuditChain()).resolves.toMatchObject({ ok: true });
  });
});
