// A throwaway portal database and warehouse target on a local PostgreSQL server, for benchmarks
// that need grants on one POSTGRES resource. The steps are those at the start of
// runApprovalLatency() in bench/approval-latency.ts, whose helpers this module reuses.
import { randomBytes } from "node:crypto";

import pg from "pg";

import { loginRoleName } from "../../lib/backends/postgres-login/role-name";
import { prepareWarehouse } from "../../lib/demo/warehouse";
import {
  applyMigrations,
  createDatabase,
  describeDatabaseUrl,
  dropDatabase,
  uniqueDatabaseName,
  withDatabaseName,
} from "../../scripts/lib/migrations";
import { assertLocalServer, dropWarehouse, importApp } from "../approval-latency";

export const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** Connections the benchmarks open themselves carry an application_name that starts with this. */
export const BENCH_APPLICATION_PREFIX = "vap-bench";

export type BenchApp = Awaited<ReturnType<typeof importApp>>;
export type BenchActor = Parameters<BenchApp["reviewRequest"]>[0];

export type BenchPortal = {
  app: BenchApp;
  serverUrl: string;
  portalDatabase: string;
  /** The superuser URL with the portal database, which is also the portal's DATABASE_URL. */
  portalUrl: string;
  warehouseDatabase: string;
  groupRole: string;
  managerRole: string;
  vendor: BenchActor;
  approver: BenchActor;
  resourceId: string;
  /** Registers a cleanup step. Steps run in the reverse order of registration. */
  addCleanup(label: string, run: () => Promise<void>): void;
  /** Runs every registered cleanup step once and returns the steps that failed, with their errors. */
  cleanUp(): Promise<string[]>;
};

export type BenchPortalOptions = {
  serverUrl: string;
  /** Short lower-case word for database names and the audit source, such as "revoke". */
  label: string;
  maxDurationMinutes: number;
  progress: (message: string) => void;
};

/**
 * Creates the portal database (migrated), a warehouse with its group and manager roles, and
 * portal config with one vendor, a vendor user, an approver and one POSTGRES resource. Sets the
 * settings that lib/env.ts reads in process.env, then imports the portal's modules. When a step
 * fails, removes what the earlier steps created and throws.
 */
export async function createBenchPortal(options: BenchPortalOptions): Promise<BenchPortal> {
  assertLocalServer(options.serverUrl);

  const suffix = randomBytes(4).toString("hex");
  const portalDatabase = uniqueDatabaseName(`vap_bench_${options.label}`);
  const portalUrl = withDatabaseName(options.serverUrl, portalDatabase);
  const warehouseDatabase = `vap_bench_wh_${suffix}`;
  const groupRole = `vap_bench_ro_${suffix}`;
  const managerRole = `vap_bench_mgr_${suffix}`;
  const managementSetting = `VAP_BENCH_${suffix.toUpperCase()}_URL`;
  // This module creates no baseline roles, so the prefix only has to match no other run's roles.
  const baselineRolePrefix = `vap_g_bench_${suffix}_`;

  const cleanups: { label: string; run: () => Promise<void> }[] = [];
  const cleanUp = async () => {
    const problems: string[] = [];
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop()!;
      try {
        await cleanup.run();
      } catch (error) {
        problems.push(`${cleanup.label}: ${(error as Error).message}`);
      }
    }

    return problems;
  };

  try {
    options.progress(`Creating portal database ${portalDatabase} and warehouse ${warehouseDatabase} on ${describeDatabaseUrl(options.serverUrl)}`);
    await createDatabase(options.serverUrl, portalDatabase);
    cleanups.push({ label: `drop database ${portalDatabase}`, run: () => dropDatabase(options.serverUrl, portalDatabase) });
    await applyMigrations(portalUrl);

    // This step runs after the warehouse is dropped. A login that left the group role, because
    // dependent objects blocked DROP ROLE, is not found by dropWarehouse, but its grant names it.
    cleanups.push({ label: `drop leftover login roles of the grants in ${portalDatabase}`, run: () => dropGrantLoginRoles(portalUrl) });
    cleanups.push({
      label: `drop warehouse ${warehouseDatabase} and its roles`,
      run: () => dropWarehouse(options.serverUrl, { warehouseDatabase, groupRole, managerRole, baselineRolePrefix }),
    });
    const managementUrl = await prepareWarehouse({
      superuserUrl: options.serverUrl,
      database: warehouseDatabase,
      groupRole,
      managerRole,
      managerPassword: randomBytes(12).toString("hex"),
    });

    // lib/env.ts validates these when the first app module is imported below. A worker child
    // process started with this process's environment uses the same settings.
    process.env.DATABASE_URL = portalUrl;
    process.env.NEXTAUTH_SECRET = randomBytes(32).toString("base64url");
    process.env.NEXTAUTH_URL = "http://127.0.0.1:3000";
    process.env.LOG_LEVEL = "silent";
    process.env[managementSetting] = managementUrl;

    const app = await importApp();
    cleanups.push({ label: "close the portal's connections", run: () => app.closeConnections() });

    const server = new URL(options.serverUrl);
    const vendorSlug = `bench-${suffix}`;
    const resourceSlug = `bench-wh-${suffix}`;
    await app.applyPortalConfig(
      {
        vendors: [{ slug: vendorSlug, name: "Benchmark Vendor" }],
        users: [
          { email: `vendor-${suffix}@bench.example`, name: "Bench Vendor", role: "VENDOR", vendor: vendorSlug, initialPassword: "bench-password-0001" },
          { email: `approver-${suffix}@bench.example`, name: "Bench Approver", role: "APPROVER", initialPassword: "bench-password-0002" },
        ],
        resources: [
          {
            slug: resourceSlug,
            name: "Benchmark warehouse",
            kind: "POSTGRES",
            config: {
              host: server.hostname,
              port: Number(server.port || 5432),
              database: warehouseDatabase,
              groupRole,
              managementUrlSetting: managementSetting,
            },
            accessLevels: ["read"],
            maxDurationMinutes: options.maxDurationMinutes,
            vendors: [vendorSlug],
          },
        ],
      },
      { source: `${options.label} benchmark`, actorLabel: "system:bench" },
    );

    return {
      app,
      serverUrl: options.serverUrl,
      portalDatabase,
      portalUrl,
      warehouseDatabase,
      groupRole,
      managerRole,
      vendor: await app.actorFor(`vendor-${suffix}@bench.example`),
      approver: await app.actorFor(`approver-${suffix}@bench.example`),
      resourceId: await app.resourceIdFor(resourceSlug),
      addCleanup: (label, run) => {
        cleanups.push({ label, run });
      },
      cleanUp,
    };
  } catch (error) {
    const problems = await cleanUp();
    if (problems.length > 0) options.progress(`Cleanup problems, remove these by hand:\n  ${problems.join("\n  ")}`);
    throw error;
  }
}

/** Drops the login role of every grant in the portal database that still exists on the server. */
async function dropGrantLoginRoles(portalUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: portalUrl, application_name: `${BENCH_APPLICATION_PREFIX}-cleanup` });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ id: string; targetName: string | null }>(`SELECT id, "targetName" FROM "Grant"`);
    const names = [...new Set(rows.map((row) => row.targetName ?? loginRoleName(row.id)))];
    const { rows: existing } = await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [names]);
    for (const { rolname } of existing) {
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
    }
  } finally {
    await admin.end();
  }
}
