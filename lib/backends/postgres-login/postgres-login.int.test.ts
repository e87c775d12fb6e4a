import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

import { Client, DatabaseError } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";

import { prepareWarehouse } from "@/lib/demo/warehouse";
import { AppError } from "@/lib/errors";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "@/scripts/test-setup/embedded-pg";

import { type PostgresLoginConfig, ZPostgresLoginConfig } from "./config";
import { connectionDetails, inspectLogin, loginRoleName, provisionLogin, revokeLogin, rotatePassword } from "./index";

const MANAGEMENT_SETTING = "VAP_TEST_WAREHOUSE_MANAGEMENT_URL";
const WRONG_PASSWORD_SETTING = "VAP_TEST_WRONG_PASSWORD_MANAGEMENT_URL";
const UNREACHABLE_SETTING = "VAP_TEST_UNREACHABLE_MANAGEMENT_URL";
const MISSING_SETTING = "VAP_TEST_MISSING_MANAGEMENT_URL";
// The server runs in a zone 14 hours ahead of UTC, so a VALID UNTIL written without an explicit
// offset would land 14 hours early.
const SERVER_TIME_ZONE = "Pacific/Kiritimati";
const HOUR_MS = 3_600_000;

const INSUFFICIENT_PRIVILEGE = "42501";
const INVALID_PASSWORD = "28P01";

const execFileAsync = promisify(execFile);

let server: EmbeddedPostgresServer;
let superuser: Client;
let warehouseSuperuser: Client;
let config: PostgresLoginConfig;
const managerPassword = randomBytes(24).toString("base64url");
const openClients = new Set<Client>();

beforeAll(async () => {
  server = await startEmbeddedPostgres({ postgresFlags: ["-c", `TimeZone=${SERVER_TIME_ZONE}`] });
  console.info(`embedded PostgreSQL started in ${server.startupMs} ms`);

  const firstRunStartedAt = performance.now();
  const managementUrl = await prepareWarehouse({ superuserUrl: server.superuserUrl(), managerPassword });
  console.info(`prepareWarehouse took ${Math.round(performance.now() - firstRunStartedAt)} ms on a new server`);

  process.env[MANAGEMENT_SETTING] = managementUrl;
  const wrongPasswordUrl = new URL(managementUrl);
  wrongPasswordUrl.password = "not-the-password";
  process.env[WRONG_PASSWORD_SETTING] = wrongPasswordUrl.toString();
  process.env[UNREACHABLE_SETTING] = `postgresql://portal_manager:x@127.0.0.1:1/warehouse`;
  delete process.env[MISSING_SETTING];

  config = ZPostgresLoginConfig.parse({
    host: server.host,
    port: server.port,
    database: "warehouse",
    groupRole: "warehouse_readonly",
    managementUrlSetting: MANAGEMENT_SETTING,
  });

  superuser = await track(new Client(server.superuserUrl()));
  warehouseSuperuser = await track(new Client(server.superuserUrl("warehouse")));
});

afterEach(async () => {
  await superuser.query(`ALTER ROLE portal_manager RESET TimeZone`);
});

afterAll(async () => {
  for (const client of openClients) await client.end().catch(() => undefined);
  for (const name of [MANAGEMENT_SETTING, WRONG_PASSWORD_SETTING, UNREACHABLE_SETTING]) delete process.env[name];
  await server?.stop();
});

/** Connects a client, registering it for cleanup and keeping its 'error' events from crashing the run. */
async function track(client: Client): Promise<Client> {
  client.on("error", () => undefined);
  openClients.add(client);
  await client.connect();

  return client;
}

function connectAs(user: string, password: string, database = "warehouse"): Promise<Client> {
  return track(new Client({ host: server.host, port: server.port, user, password, database }));
}

/** Tries to sign in and returns the SQLSTATE of the failure, or null when sign-in worked. */
async function signInError(user: string, password: string): Promise<string | null> {
  const client = new Client({ host: server.host, port: server.port, user, password, database: "warehouse" });
  client.on("error", () => undefined);
  try {
    await client.connect();

    return null;
  } catch (error) {
    return error instanceof DatabaseError ? (error.code ?? "no-code") : `not-a-database-error: ${String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function sqlStateOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;

    return null;
  } catch (error) {
    return error instanceof DatabaseError ? (error.code ?? "no-code") : `not-a-database-error: ${String(error)}`;
  }
}

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError, but the call succeeded");
}

function newGrantId(): string {
  return `t${randomBytes(8).toString("hex")}`;
}

function hoursFromNow(hours: number): Date {
  return new Date(Date.now() + hours * HOUR_MS);
}

describe("prepareWarehouse", () => {
  test("manager role is not a superuser", async () => {
    const { rows } = await superuser.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin,
              pg_has_role('portal_manager', 'pg_signal_backend', 'MEMBER') AS signals_backends,
              pg_has_role('portal_manager', 'warehouse_readonly', 'USAGE WITH ADMIN OPTION') AS administers_group
         FROM pg_roles WHERE rolname = 'portal_manager'`,
    );

    expect(rows[0]).toEqual({
      rolsuper: false,
      rolcreaterole: true,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
      signals_backends: true,
      administers_group: true,
    });
  });

  test("manager role cannot read warehouse tables", async () => {
    const manager = await connectAs("portal_manager", managerPassword);

    expect(await sqlStateOf(manager.query("SELECT count(*) FROM shipments"))).toBe(INSUFFICIENT_PRIVILEGE);
  });

  test("second run keeps data and privileges", async () => {
    const countRows = async () =>
      (
        await warehouseSuperuser.query<{ carriers: number; shipments: number; invoices: number }>(
          `SELECT (SELECT count(*) FROM carriers)::int AS carriers,
                  (SELECT count(*) FROM shipments)::int AS shipments,
                  (SELECT count(*) FROM invoices)::int AS invoices`,
        )
      ).rows[0];
    const before = await countRows();

    const startedAt = performance.now();
    const managementUrl = await prepareWarehouse({ superuserUrl: server.superuserUrl(), managerPassword });
    console.info(`prepareWarehouse took ${Math.round(performance.now() - startedAt)} ms on a prepared server`);

    expect(managementUrl).toBe(process.env[MANAGEMENT_SETTING]);
    expect(await countRows()).toEqual(before);
    for (const count of Object.values(before ?? {})) {
      expect(count).toBeGreaterThanOrEqual(8);
      expect(count).toBeLessThanOrEqual(50);
    }
    expect(await signInError("portal_manager", managerPassword)).toBeNull();
  });

  test("PUBLIC has no privileges on the warehouse", async () => {
    const { rows } = await warehouseSuperuser.query(
      `SELECT has_database_privilege('public', 'warehouse', 'CONNECT') AS connect,
              has_database_privilege('public', 'warehouse', 'TEMPORARY') AS temporary,
              has_database_privilege('public', 'warehouse', 'CREATE') AS create_schema,
              has_schema_privilege('public', 'public', 'CREATE') AS create_in_public`,
    );

    expect(rows[0]).toEqual({ connect: false, temporary: false, create_schema: false, create_in_public: false });
  });
});

describe("provisionLogin", () => {
  let roleName: string;
  let vendor: Client;

  beforeAll(async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(2) });
    roleName = login.roleName;
    vendor = await connectAs(roleName, login.password);
  });

  afterAll(async () => {
    await revokeLogin({ config, roleName });
  });

  test.each(["carriers", "shipments", "invoices"])("login can read %s", async (table) => {
    const { rows } = await vendor.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`);

    expect(rows[0]?.count).toBeGreaterThan(0);
  });

  // TEMPORARY is withheld on purpose (see prepareWarehouse), so a temp table is refused as well.
  test.each([
    ["INSERT", "INSERT INTO carriers (id, name, scac, country) VALUES (99, 'Vendor Co', 'VNDR', 'US')"],
    ["UPDATE", "UPDATE shipments SET status = 'delayed' WHERE id = 1"],
    ["DELETE", "DELETE FROM invoices WHERE id = 1"],
    ["CREATE TABLE", "CREATE TABLE vendor_scratch (id integer)"],
    ["CREATE SCHEMA", "CREATE SCHEMA vendor_scratch"],
    ["CREATE TEMP TABLE", "CREATE TEMP TABLE vendor_scratch (id integer)"],
  ])("login cannot %s", async (_label, statement) => {
    expect(await sqlStateOf(vendor.query(statement))).toBe(INSUFFICIENT_PRIVILEGE);
  });

  test("login cannot write after SET ROLE", async () => {
    const session = await connectAs(roleName, (await rotatePassword({ config, roleName, endsAt: hoursFromNow(2) })).password);
    await session.query("SET ROLE warehouse_readonly");

    expect(await sqlStateOf(session.query("DELETE FROM invoices WHERE id = 2"))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await sqlStateOf(session.query("CREATE TABLE vendor_scratch (id integer)"))).toBe(INSUFFICIENT_PRIVILEGE);
  });

  test("login has the expected attributes", async () => {
    const inspection = await inspectLogin({ config, roleName });

    expect(inspection.exists).toBe(true);
    expect(inspection.canLogin).toBe(true);
    expect(inspection.connectionLimit).toBe(5);
    expect(inspection.memberOf).toEqual(["warehouse_readonly"]);
    expect(inspection.elevatedAttributes).toEqual([]);
    expect(inspection.openSessions).toBeGreaterThanOrEqual(1);

    const { rows } = await superuser.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`,
      [roleName],
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
  });

  test.each([
    ["server zone", null],
    ["manager zone far east", "Pacific/Kiritimati"],
    ["manager zone far west", "America/Adak"],
    ["manager zone UTC", "UTC"],
  ])("VALID UNTIL equals grant end (%s)", async (_label, managerZone) => {
    if (managerZone !== null) {
      await superuser.query(`ALTER ROLE portal_manager SET TimeZone = '${managerZone}'`);
    }
    const manager = await connectAs("portal_manager", managerPassword);
    const { rows: zoneRows } = await manager.query<{ TimeZone: string }>("SHOW TimeZone");
    expect(zoneRows[0]?.TimeZone).toBe(managerZone ?? SERVER_TIME_ZONE);
    // Milliseconds that are not zero catch a literal that drops or rounds the fraction.
    const endsAt = new Date(Date.now() + 3 * 24 * HOUR_MS + 123);

    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt });

    const inspection = await inspectLogin({ config, roleName: login.roleName });
    expect(inspection.validUntil?.toISOString()).toBe(endsAt.toISOString());
    const { rows } = await superuser.query<{ matches: boolean }>(
      "SELECT rolvaliduntil = $2::timestamptz AS matches FROM pg_roles WHERE rolname = $1",
      [login.roleName, endsAt.toISOString()],
    );
    expect(rows[0]?.matches).toBe(true);

    await revokeLogin({ config, roleName: login.roleName });
  });

  test("second call resets role and password", async () => {
    const grantId = newGrantId();
    const first = await provisionLogin({ config, grantId, endsAt: hoursFromNow(1) });
    // Drift that a re-render has to repair, made by hand: sign-in switched off, a higher
    // connection limit, CREATEROLE added and the group membership removed.
    await superuser.query(`ALTER ROLE ${first.roleName} NOLOGIN CREATEROLE CONNECTION LIMIT 50`);
    expect((await inspectLogin({ config, roleName: first.roleName })).elevatedAttributes).toEqual(["CREATEROLE"]);
    await superuser.query(`REVOKE warehouse_readonly FROM ${first.roleName} GRANTED BY portal_manager`);
    const secondEnd = hoursFromNow(3);

    const second = await provisionLogin({ config, grantId, endsAt: secondEnd });

    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.roleName).toBe(first.roleName);
    const inspection = await inspectLogin({ config, roleName: second.roleName });
    expect(inspection.canLogin).toBe(true);
    expect(inspection.connectionLimit).toBe(5);
    expect(inspection.elevatedAttributes).toEqual([]);
    expect(inspection.memberOf).toEqual(["warehouse_readonly"]);
    expect(inspection.validUntil?.toISOString()).toBe(secondEnd.toISOString());
    expect(await signInError(second.roleName, first.password)).toBe(INVALID_PASSWORD);
    const session = await connectAs(second.roleName, second.password);
    expect((await session.query("SELECT count(*) FROM carriers")).rowCount).toBe(1);

    await revokeLogin({ config, roleName: second.roleName });
  });

  test("third call on an unchanged role", async () => {
    const grantId = newGrantId();
    const endsAt = hoursFromNow(1);
    await provisionLogin({ config, grantId, endsAt });
    const again = await provisionLogin({ config, grantId, endsAt });

    const inspection = await inspectLogin({ config, roleName: again.roleName });
    expect(inspection.memberOf).toEqual(["warehouse_readonly"]);
    expect(await signInError(again.roleName, again.password)).toBeNull();

    await revokeLogin({ config, roleName: again.roleName });
  });

  test("rejects an end in the past", async () => {
    const error = await appErrorOf(provisionLogin({ config, grantId: newGrantId(), endsAt: new Date(Date.now() - 1000) }));

    expect(error.code).toBe("INVALID_STATE");
  });

  test("sign-in fails after the grant end", async () => {
    const endsAt = new Date(Date.now() + 3000);
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt });
    const openedBeforeEnd = await connectAs(login.roleName, login.password);

    // Poll sign-in until it fails. A success proves the server's clock was at most endsAt, and the
    // attempt began before that; a failure proves the attempt ended after endsAt.
    const giveUpAt = endsAt.getTime() + 10_000;
    let failure: { code: string; finishedAt: number } | null = null;
    while (failure === null && Date.now() < giveUpAt) {
      const startedAt = Date.now();
      const code = await signInError(login.roleName, login.password);
      if (code === null) {
        expect(startedAt).toBeLessThanOrEqual(endsAt.getTime());
        await new Promise((resolve) => setTimeout(resolve, 200));
      } else {
        failure = { code, finishedAt: Date.now() };
      }
    }

    expect(failure?.code).toBe(INVALID_PASSWORD);
    expect(failure?.finishedAt).toBeGreaterThanOrEqual(endsAt.getTime());
    // VALID UNTIL is checked only at sign-in, which is why revokeLogin() ends open sessions.
    expect((await openedBeforeEnd.query("SELECT 1")).rowCount).toBe(1);

    const revoked = await revokeLogin({ config, roleName: login.roleName });
    expect(revoked.terminatedSessions).toBe(1);
  });
});

describe("rotatePassword", () => {
  test("old password fails, new one works", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    const newEnd = hoursFromNow(2);

    const { password } = await rotatePassword({ config, roleName: login.roleName, endsAt: newEnd });

    expect(password).not.toBe(login.password);
    expect(await signInError(login.roleName, login.password)).toBe(INVALID_PASSWORD);
    expect(await signInError(login.roleName, password)).toBeNull();
    expect((await inspectLogin({ config, roleName: login.roleName })).validUntil?.toISOString()).toBe(newEnd.toISOString());

    await revokeLogin({ config, roleName: login.roleName });
  });

  test("missing role is NOT_FOUND", async () => {
    const roleName = loginRoleName(newGrantId());

    const error = await appErrorOf(rotatePassword({ config, roleName, endsAt: hoursFromNow(1) }));

    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain(roleName);
    expect((await inspectLogin({ config, roleName })).exists).toBe(false);
  });

  test("group role name is INVALID_INPUT", async () => {
    const error = await appErrorOf(rotatePassword({ config, roleName: "warehouse_readonly", endsAt: hoursFromNow(1) }));

    expect(error.code).toBe("INVALID_INPUT");
  });
});

describe("revokeLogin", () => {
  test("terminates plain and SET ROLE sessions", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    const plain = await connectAs(login.roleName, login.password);
    const switched = await connectAs(login.roleName, login.password);
    await switched.query("SET ROLE warehouse_readonly");
    const { rows } = await switched.query<{ current_user: string }>("SELECT current_user");
    expect(rows[0]?.current_user).toBe("warehouse_readonly");

    const result = await revokeLogin({ config, roleName: login.roleName });

    expect(result).toEqual({ roleExisted: true, terminatedSessions: 2, dropped: true });
    await expect(plain.query("SELECT 1")).rejects.toThrow();
    await expect(switched.query("SELECT 1")).rejects.toThrow();
    expect((await inspectLogin({ config, roleName: login.roleName })).exists).toBe(false);
    expect(await signInError(login.roleName, login.password)).toBe(INVALID_PASSWORD);
  });

  test("role already gone changes nothing", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    await revokeLogin({ config, roleName: login.roleName });

    const again = await revokeLogin({ config, roleName: login.roleName });

    expect(again).toEqual({ roleExisted: false, terminatedSessions: 0, dropped: true });
  });

  test("dependent objects keep role NOLOGIN", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    // A privilege granted to the login directly is a dependency that blocks DROP ROLE.
    await warehouseSuperuser.query(`GRANT SELECT ON carriers TO ${login.roleName}`);

    const result = await revokeLogin({ config, roleName: login.roleName });

    expect(result.dropped).toBe(false);
    expect(result.dropBlockedBy).toContain("carriers");
    const inspection = await inspectLogin({ config, roleName: login.roleName });
    expect(inspection.exists).toBe(true);
    expect(inspection.canLogin).toBe(false);
    expect(inspection.memberOf).toEqual([]);
    expect(await signInError(login.roleName, login.password)).toBe(INVALID_PASSWORD);

    await warehouseSuperuser.query(`REVOKE SELECT ON carriers FROM ${login.roleName}`);
    expect(await revokeLogin({ config, roleName: login.roleName })).toEqual({ roleExisted: true, terminatedSessions: 0, dropped: true });
  });

  test("group role name is INVALID_INPUT", async () => {
    const error = await appErrorOf(revokeLogin({ config, roleName: "warehouse_readonly" }));

    expect(error.code).toBe("INVALID_INPUT");
    const { rowCount } = await superuser.query("SELECT 1 FROM pg_roles WHERE rolname = 'warehouse_readonly' AND NOT rolcanlogin");
    expect(rowCount).toBe(1);
  });
});

describe("connectionDetails", () => {
  test("URI signs in with the pg driver", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    const details = connectionDetails({ config, roleName: login.roleName });

    const client = await track(new Client({ connectionString: details.buildUri(login.password) }));
    const { rows } = await client.query<{ current_user: string; db: string }>("SELECT current_user, current_database() AS db");

    expect(rows[0]).toEqual({ current_user: login.roleName, db: "warehouse" });
    await revokeLogin({ config, roleName: login.roleName });
  });

  test("psql command signs in", async () => {
    const login = await provisionLogin({ config, grantId: newGrantId(), endsAt: hoursFromNow(1) });
    const command = connectionDetails({ config, roleName: login.roleName }).buildPsqlCommand(login.password);

    const { stdout } = await execFileAsync("sh", ["-c", `${command} --no-psqlrc -tAc 'SELECT current_user'`]);

    expect(stdout.trim()).toBe(login.roleName);
    await revokeLogin({ config, roleName: login.roleName });
  });
});

describe("management connection", () => {
  test("missing setting is MISCONFIGURED", async () => {
    const error = await appErrorOf(inspectLogin({ config: { ...config, managementUrlSetting: MISSING_SETTING }, roleName: loginRoleName("abc") }));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain(MISSING_SETTING);
  });

  test("wrong password is PROVISIONING_FAILED", async () => {
    const error = await appErrorOf(
      provisionLogin({ config: { ...config, managementUrlSetting: WRONG_PASSWORD_SETTING }, grantId: newGrantId(), endsAt: hoursFromNow(1) }),
    );

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("rejected at sign-in");
    expect(error.message).not.toContain("not-the-password");
    expect(error.message).not.toContain("postgresql://");
  });

  test("unreachable server is PROVISIONING_FAILED", async () => {
    const error = await appErrorOf(inspectLogin({ config: { ...config, managementUrlSetting: UNREACHABLE_SETTING }, roleName: loginRoleName("abc") }));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("unreachable");
  });
});
