import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import {
  applyMigrations,
  createDatabase,
  createMigration,
  diffSchemaAgainstMigrations,
  dropDatabase,
  MigrateError,
  MIGRATIONS_DIR,
  PROJECT_ROOT,
  resolveMigration,
  SCHEMA_PATH,
  toMigrationSlug,
  uniqueDatabaseName,
  withDatabaseName,
} from "./lib/migrations";

const serverUrl = inject("postgresServerUrl");
const migratedDatabaseUrl = inject("databaseUrl");

const EXTRA_MODEL = "\nmodel MigrationCheckExtra {\n  id    Int    @id\n  label String\n}\n";
const BROKEN_MIGRATION = "20990101000000_broken";

let workDir: string;
let extraModelSchemaPath: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "vap-db-migrate-"));
  extraModelSchemaPath = path.join(workDir, "schema.prisma");
  await writeFile(extraModelSchemaPath, (await readFile(SCHEMA_PATH, "utf8")) + EXTRA_MODEL);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("applyMigrations", () => {
  it("applies every migration to an empty database", async () => {
    await withFreshDatabase(async (databaseUrl) => {
      const committed = await readCommittedMigrationNames();

      const { applied } = await applyMigrations(databaseUrl);

      expect(committed.length).toBeGreaterThan(0);
      expect(applied).toEqual(committed);

      const rows = await queryRows<MigrationRow>(
        databaseUrl,
        'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((row) => row.migration_name)).toEqual(committed);
      for (const row of rows) {
        const script = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
        // `prisma migrate deploy` compares this checksum with the file to detect edited migrations.
        expect(row.checksum).toBe(createHash("sha256").update(script).digest("hex"));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
      }

      const tables = await queryRows<{ table_name: string }>(
        databaseUrl,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables.map((table) => table.table_name)).toEqual(
        expect.arrayContaining(["Vendor", "User", "AccessRequest", "Grant", "Issuance", "AuditEvent"]),
      );
    });
  });

  it("applies nothing on a second run", async () => {
    const { applied } = await applyMigrations(migratedDatabaseUrl);

    expect(applied).toEqual([]);
  });

  it("names a failed migration and recovers after resolve", async () => {
    const migrationsDir = await copyMigrations("with-broken");
    const brokenScriptPath = path.join(migrationsDir, BROKEN_MIGRATION, "migration.sql");
    await mkdir(path.dirname(brokenScriptPath));
    await writeFile(brokenScriptPath, "CREATE TABLE broken_one (id int);\nSELECT no_such_column FROM broken_one;\n");

    await withFreshDatabase(async (databaseUrl) => {
      const failure = await applyMigrations(databaseUrl, { migrationsDir }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(MigrateError);
      expect((failure as Error).message).toContain(`Migration ${BROKEN_MIGRATION} failed`);
      expect((failure as Error).message).toContain('column "no_such_column" does not exist');
      expect(await tableExists(databaseUrl, "broken_one")).toBe(false);

      const blocked = await applyMigrations(databaseUrl, { migrationsDir }).catch((error: unknown) => error);
      expect(blocked).toBeInstanceOf(MigrateError);
      expect((blocked as Error).message).toContain(`resolve --rolled-back ${BROKEN_MIGRATION}`);

      await resolveMigration(databaseUrl, { migrationName: BROKEN_MIGRATION, as: "rolled-back" });
      // A semicolon inside a function body must survive, because the script goes to PostgreSQL whole.
      await writeFile(
        brokenScriptPath,
        "CREATE TABLE broken_one (id int);\nCREATE FUNCTION broken_label() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'a;b'; END; $$;\n",
      );
      const { applied } = await applyMigrations(databaseUrl, { migrationsDir });

      expect(applied).toEqual([BROKEN_MIGRATION]);
      expect(await tableExists(databaseUrl, "broken_one")).toBe(true);
      const [label] = await queryRows<{ label: string }>(databaseUrl, "SELECT broken_label() AS label");
      expect(label?.label).toBe("a;b");
    });
  });
});

describe("diffSchemaAgainstMigrations", () => {
  it("finds no difference for the committed migrations", async () => {
    const diff = await diffSchemaAgainstMigrations({ serverUrl });

    expect(diff.inSync).toBe(true);
  });

  it("reports a model missing from the migrations", async () => {
    const diff = await diffSchemaAgainstMigrations({ serverUrl, schemaPath: extraModelSchemaPath });

    expect(diff.inSync).toBe(false);
    expect(diff.migrationScript).toContain('CREATE TABLE "MigrationCheckExtra"');
  });

  it("drops its shadow database", async () => {
    const before = await listShadowDatabases();

    await diffSchemaAgainstMigrations({ serverUrl });

    const after = await listShadowDatabases();
    expect(after.filter((name) => !before.includes(name))).toEqual([]);
  });
});

describe("createMigration", () => {
  it("writes the missing model as a new migration", async () => {
    const migrationsDir = await copyMigrations("create", { withLockfile: false });

    const created = await createMigration({
      serverUrl,
      name: "Add checkExtra",
      schemaPath: extraModelSchemaPath,
      migrationsDir,
      now: new Date("2030-01-02T03:04:05Z"),
    });

    expect(created.migrationName).toBe("20300102030405_add_check_extra");
    const script = await readFile(path.join(migrationsDir, "20300102030405_add_check_extra", "migration.sql"), "utf8");
    expect(script).toContain('CREATE TABLE "MigrationCheckExtra"');
    expect(created.lockfileWritten).toBe(true);
    expect(await readFile(path.join(migrationsDir, "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');

    const diff = await diffSchemaAgainstMigrations({ serverUrl, schemaPath: extraModelSchemaPath, migrationsDir });
    expect(diff.inSync).toBe(true);
  });

  it("writes nothing when the schema has no changes", async () => {
    const migrationsDir = await copyMigrations("unchanged");

    const created = await createMigration({ serverUrl, name: "nothing", migrationsDir });

    expect(created.migrationName).toBeNull();
    expect(await readdir(migrationsDir)).toEqual(await readdir(MIGRATIONS_DIR));
  });
});

describe("toMigrationSlug", () => {
  it.each([
    ["init", "init"],
    ["Add grant notes", "add_grant_notes"],
    ["addGrantNotes", "add_grant_notes"],
    ["  révoke--reason!  ", "revoke_reason"],
  ])("turns %j into %j", (name, slug) => {
    expect(toMigrationSlug(name)).toBe(slug);
  });

  it("rejects a name without letters or digits", () => {
    expect(() => toMigrationSlug("--")).toThrow(MigrateError);
  });
});

describe("db-migrate command line", () => {
  it("check exits 0 for the committed migrations", async () => {
    const result = await runCli(["check"], { DATABASE_URL: migratedDatabaseUrl });

    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("check exits 2 and prints the SQL difference", async () => {
    const result = await runCli(["check", "--schema", extraModelSchemaPath], { DATABASE_URL: migratedDatabaseUrl });

    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('CREATE TABLE "MigrationCheckExtra"');
  });

  it("deploy explains a missing DATABASE_URL", async () => {
    const result = await runCli(["deploy"], { DATABASE_URL: undefined });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("DATABASE_URL is missing");
  });

  it("deploy explains an unreachable server", async () => {
    const result = await runCli(["deploy"], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/vap_none" });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Cannot reach PostgreSQL at 127.0.0.1:1");
  });
});

type MigrationRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
};

async function withFreshDatabase(run: (databaseUrl: string) => Promise<void>): Promise<void> {
  const databaseName = uniqueDatabaseName("vap_test");
  await createDatabase(serverUrl, databaseName);

  try {
    await run(withDatabaseName(serverUrl, databaseName));
  } finally {
    await dropDatabase(serverUrl, databaseName);
  }
}

async function readCommittedMigrationNames(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });

  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function copyMigrations(name: string, options: { withLockfile?: boolean } = {}): Promise<string> {
  const migrationsDir = path.join(workDir, name);
  await cp(MIGRATIONS_DIR, migrationsDir, {
    recursive: true,
    filter: (source) => options.withLockfile !== false || path.basename(source) !== "migration_lock.toml",
  });

  return migrationsDir;
}

async function queryRows<Row>(databaseUrl: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();

  try {
    const result = await client.query(sql);

    return result.rows as Row[];
  } finally {
    await client.end();
  }
}

async function tableExists(databaseUrl: string, tableName: string): Promise<boolean> {
  const rows = await queryRows<{ name: string | null }>(databaseUrl, `SELECT to_regclass('public.${tableName}')::text AS name`);

  return rows[0]?.name != null;
}

async function listShadowDatabases(): Promise<string[]> {
  const rows = await queryRows<{ datname: string }>(
    serverUrl,
    "SELECT datname FROM pg_database WHERE datname LIKE 'vap\\_shadow\\_%'",
  );

  return rows.map((row) => row.datname);
}

function runCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }

  return new Promise((resolve) => {
    execFile(
      path.join(PROJECT_ROOT, "node_modules/.bin/tsx"),
      [path.join(PROJECT_ROOT, "scripts/db-migrate.ts"), ...args],
      { cwd: PROJECT_ROOT, env: childEnv },
      (error, stdout, stderr) => {
        let exitCode = 0;
        if (error) {
          exitCode = typeof error.code === "number" ? error.code : 1;
        }

        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}
