import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { POSTGRES_IDENTIFIER, ZPostgresLoginConfig } from "./config";
import { buildPostgresUri, buildPsqlCommand, connectionDetails, quoteConninfoValue, quoteShellWord } from "./connection-details";
import { generateLoginPassword, LOGIN_PASSWORD_LENGTH, scramSha256Verifier } from "./password";
import { assertLoginRoleName, isLoginRoleName, loginRoleName } from "./role-name";
import { alterLoginRoleStatement, createLoginRoleStatement, formatUtcTimestamp } from "./statements";

const validConfig = {
  host: "warehouse.internal",
  port: 5432,
  database: "warehouse",
  groupRole: "warehouse_readonly",
  managementUrlSetting: "WAREHOUSE_MANAGEMENT_URL",
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof AppError ? error.code : `not-an-AppError: ${String(error)}`;
  }

  return undefined;
}

describe("ZPostgresLoginConfig", () => {
  test("applies defaults", () => {
    const config = ZPostgresLoginConfig.parse({ ...validConfig, port: undefined });

    expect(config.port).toBe(5432);
    expect(config.sslMode).toBe("disable");
  });

  test.each([
    ["warehouse", true],
    ["_staging", true],
    ["db_2024", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["Warehouse", false],
    ["1warehouse", false],
    ["ware-house", false],
    ["ware house", false],
    ['x"; DROP ROLE postgres; --', false],
    ["entrepôt", false],
    ["", false],
  ])("database %j valid: %s", (database, valid) => {
    expect(ZPostgresLoginConfig.safeParse({ ...validConfig, database }).success).toBe(valid);
    expect(POSTGRES_IDENTIFIER.test(database)).toBe(valid);
  });

  test.each([
    ["warehouse_readonly", true],
    ["vendor_read", true],
    ["pg_read_all_data", false],
    ["pg_signal_backend", false],
    ["public", false],
    ["Readers", false],
  ])("groupRole %j valid: %s", (groupRole, valid) => {
    expect(ZPostgresLoginConfig.safeParse({ ...validConfig, groupRole }).success).toBe(valid);
  });

  test.each([
    ["WAREHOUSE_MANAGEMENT_URL", true],
    ["DB2_ADMIN_URL", true],
    ["NEXTAUTH_SECRET", false],
    ["warehouse_management_url", false],
    ["WAREHOUSE_URL_PASSWORD", false],
    ["postgresql://portal_manager:secret@db/warehouse", false],
  ])("managementUrlSetting %j valid: %s", (managementUrlSetting, valid) => {
    expect(ZPostgresLoginConfig.safeParse({ ...validConfig, managementUrlSetting }).success).toBe(valid);
  });

  test.each([
    ["localhost", true],
    ["db.example.com", true],
    ["10.0.4.17", true],
    ["::1", true],
    ["bad host", false],
    ["db.example.com/warehouse", false],
    ["", false],
  ])("host %j valid: %s", (host, valid) => {
    expect(ZPostgresLoginConfig.safeParse({ ...validConfig, host }).success).toBe(valid);
  });

  test.each([
    [{ port: 0 }, false],
    [{ port: 65_536 }, false],
    [{ port: 5432.5 }, false],
    [{ sslMode: "verify-full" }, true],
    [{ sslMode: "prefer" }, false],
    // The management URL carries a password, so config must not be able to hold it.
    [{ managementUrl: "postgresql://portal_manager:secret@db/warehouse" }, false],
  ])("override %j valid: %s", (override, valid) => {
    expect(ZPostgresLoginConfig.safeParse({ ...validConfig, ...override }).success).toBe(valid);
  });
});

describe("loginRoleName", () => {
  const longPlainId = "c".repeat(57);

  test.each([
    ["cm8x2k4vq0000s8a1b2c3d4e5", "vap_g_cm8x2k4vq0000s8a1b2c3d4e5"],
    ["abc123", "vap_g_abc123"],
    [longPlainId, `vap_g_${longPlainId}`],
  ])("plain id %s", (grantId, expected) => {
    expect(loginRoleName(grantId)).toBe(expected);
  });

  test.each([
    ["upper case", "CM8X2K4VQ0000S8A1B2C3D4E5"],
    ["uuid", "0b5e4c3a-9f7d-4a51-8e2c-7d1f0a9b6c42"],
    ["too long", "c".repeat(58)],
    ["quote", 'x"; DROP ROLE postgres; --'],
    ["non-ASCII", "grant-é"],
  ])("hashed id (%s)", (_label, grantId) => {
    const name = loginRoleName(grantId);

    expect(name).toMatch(/^vap_g__[0-9a-f]{40}$/);
    expect(POSTGRES_IDENTIFIER.test(name)).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(isLoginRoleName(name)).toBe(true);
    expect(loginRoleName(grantId)).toBe(name);
  });

  test("ids differing in case get different roles", () => {
    expect(loginRoleName("Abc123")).not.toBe(loginRoleName("abc123"));
  });

  test("empty id is rejected", () => {
    expect(codeOf(() => loginRoleName(""))).toBe("INVALID_INPUT");
  });
});

describe("assertLoginRoleName", () => {
  test.each([
    ["vap_g_abc123", true],
    [`vap_g__${"a".repeat(40)}`, true],
    ["vap_g_", false],
    ["warehouse_readonly", false],
    ["portal_manager", false],
    ["postgres", false],
    ["VAP_G_ABC", false],
    ['vap_g_x"; DROP ROLE postgres; --', false],
    [`vap_g_${"a".repeat(58)}`, false],
  ])("%j accepted: %s", (roleName, accepted) => {
    expect(isLoginRoleName(roleName)).toBe(accepted);
    expect(codeOf(() => assertLoginRoleName(roleName))).toBe(accepted ? undefined : "INVALID_INPUT");
  });
});

describe("formatUtcTimestamp", () => {
  test.each([
    [new Date(Date.UTC(2030, 0, 31, 17, 0, 0)), "2030-01-31 17:00:00.000+00"],
    [new Date(Date.UTC(2030, 11, 31, 23, 59, 59, 999)), "2030-12-31 23:59:59.999+00"],
    [new Date("2030-03-10T02:30:00.123-10:00"), "2030-03-10 12:30:00.123+00"],
  ])("%s is %s", (instant, expected) => {
    expect(formatUtcTimestamp(instant)).toBe(expected);
  });

  test.each([
    ["invalid date", new Date(Number.NaN)],
    ["year 10000", new Date(Date.UTC(10_000, 0, 1))],
    ["negative year", new Date(Date.UTC(-1, 0, 1))],
  ])("rejects %s", (_label, instant) => {
    expect(codeOf(() => formatUtcTimestamp(instant))).toBe("INVALID_INPUT");
  });
});

describe("login role statements", () => {
  const state = {
    roleName: "vap_g_abc123",
    groupRole: "warehouse_readonly",
    passwordVerifier: "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy",
    validUntil: new Date(Date.UTC(2030, 0, 31, 17, 0, 0, 250)),
  };

  test("CREATE ROLE statement", () => {
    expect(createLoginRoleStatement(state)).toBe(
      `CREATE ROLE "vap_g_abc123" LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 ` +
        `PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy' VALID UNTIL '2030-01-31 17:00:00.250+00' IN ROLE "warehouse_readonly"`,
    );
  });

  test("ALTER ROLE statement", () => {
    expect(alterLoginRoleStatement(state)).toBe(
      `ALTER ROLE "vap_g_abc123" LOGIN INHERIT NOCREATEROLE CONNECTION LIMIT 5 ` +
        `PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy' VALID UNTIL '2030-01-31 17:00:00.250+00'`,
    );
  });

  test("quotes a hostile name", () => {
    const statement = createLoginRoleStatement({ ...state, roleName: 'x" SUPERUSER --' });

    expect(statement.startsWith(`CREATE ROLE "x"" SUPERUSER --" LOGIN`)).toBe(true);
  });
});

describe("buildPostgresUri", () => {
  const base = { host: "db.example.com", port: 5432, database: "warehouse", user: "vap_g_abc123", sslMode: "require" as const };

  test.each([
    ["plain", base, "Abc123", "postgresql://vap_g_abc123:Abc123@db.example.com:5432/warehouse?sslmode=require"],
    ["reserved characters", base, "p@ss:w/rd?#%", "postgresql://vap_g_abc123:p%40ss%3Aw%2Frd%3F%23%25@db.example.com:5432/warehouse?sslmode=require"],
    ["IPv6 host", { ...base, host: "::1", sslMode: "disable" as const }, "pw", "postgresql://vap_g_abc123:pw@[::1]:5432/warehouse?sslmode=disable"],
    ["verify-full", { ...base, port: 6432, sslMode: "verify-full" as const }, "pw", "postgresql://vap_g_abc123:pw@db.example.com:6432/warehouse?sslmode=verify-full"],
  ])("%s", (_label, parts, password, expected) => {
    const uri = buildPostgresUri({ ...parts, password });

    expect(uri).toBe(expected);
    expect(decodeURIComponent(new URL(uri).password)).toBe(password);
  });
});

describe("buildPsqlCommand", () => {
  const base = { host: "db.example.com", port: 5432, database: "warehouse", user: "vap_g_abc123", sslMode: "disable" as const };

  test.each([
    ["plain", base, "Abc123", `PGPASSWORD='Abc123' psql 'host=db.example.com port=5432 dbname=warehouse user=vap_g_abc123 sslmode=disable'`],
    ["quote in password", base, "it's", `PGPASSWORD='it'\\''s' psql 'host=db.example.com port=5432 dbname=warehouse user=vap_g_abc123 sslmode=disable'`],
    [
      "shell characters",
      { ...base, sslMode: "verify-full" as const },
      "$(id);`x`",
      `PGPASSWORD='$(id);\`x\`' psql 'host=db.example.com port=5432 dbname=warehouse user=vap_g_abc123 sslmode=verify-full'`,
    ],
  ])("%s", (_label, parts, password, expected) => {
    expect(buildPsqlCommand({ ...parts, password })).toBe(expected);
  });

  test.each([
    ["warehouse", "warehouse"],
    ["two words", "'two words'"],
    ["it's", "'it\\'s'"],
    ["back\\slash", "'back\\\\slash'"],
    ["", "''"],
  ])("conninfo value %j is %s", (value, expected) => {
    expect(quoteConninfoValue(value)).toBe(expected);
  });

  test.each([
    ["plain", "'plain'"],
    ["it's", "'it'\\''s'"],
    ["", "''"],
  ])("shell word %j is %s", (value, expected) => {
    expect(quoteShellWord(value)).toBe(expected);
  });
});

describe("connectionDetails", () => {
  const config = ZPostgresLoginConfig.parse({ ...validConfig, sslMode: "require" });

  test("fills fields from config and role", () => {
    const details = connectionDetails({ config, roleName: "vap_g_abc123" });

    expect(details).toMatchObject({ host: "warehouse.internal", port: 5432, database: "warehouse", user: "vap_g_abc123", sslMode: "require" });
    expect(details.buildUri("pw")).toBe("postgresql://vap_g_abc123:pw@warehouse.internal:5432/warehouse?sslmode=require");
    expect(details.buildPsqlCommand("pw")).toContain("user=vap_g_abc123 sslmode=require");
  });

  test("rejects a role the portal did not create", () => {
    expect(codeOf(() => connectionDetails({ config, roleName: "portal_manager" }))).toBe("INVALID_INPUT");
  });
});

describe("generateLoginPassword", () => {
  test("length and alphabet", () => {
    const password = generateLoginPassword();

    expect(password).toHaveLength(LOGIN_PASSWORD_LENGTH);
    expect(LOGIN_PASSWORD_LENGTH).toBeGreaterThanOrEqual(32);
    expect(password).toMatch(/^[A-Za-z0-9]+$/);
  });

  test("no repeats in 1000 draws", () => {
    const passwords = new Set(Array.from({ length: 1000 }, () => generateLoginPassword()));

    expect(passwords.size).toBe(1000);
  });
});

describe("scramSha256Verifier", () => {
  test("matches a verifier made by PostgreSQL 18.4", () => {
    // From `CREATE ROLE … PASSWORD 'correct horse battery staple'` with password_encryption =
    // scram-sha-256, read back from pg_authid.rolpassword.
    const fromPostgres =
      "SCRAM-SHA-256$4096:VRLLe6MWMGaIMBFhsRUD7A==$2Ixqhi7x2VC2OKN3FeYw4l8UaRTRuH5xDJ1jybu6D70=:ynk6wd8w9Ftbp+SZXQQtdRliEHz1xj5/QnGDMR5/Tpk=";
    const salt = Buffer.from("VRLLe6MWMGaIMBFhsRUD7A==", "base64");

    expect(scramSha256Verifier("correct horse battery staple", salt)).toBe(fromPostgres);
  });

  test("uses a new salt each time", () => {
    expect(scramSha256Verifier("same password")).not.toBe(scramSha256Verifier("same password"));
  });

  test("rejects non-ASCII passwords", () => {
    expect(() => scramSha256Verifier("pässword")).toThrow(/ASCII/);
  });
});
