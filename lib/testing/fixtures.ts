// Seeding for integration tests. It creates a warehouse target on a local PostgreSQL server, and a
// vendor, users and a POSTGRES resource in the portal database. Grants are created directly,
// because the request flow cannot make windows of a few seconds.
import { randomBytes } from "node:crypto";

import pg from "pg";

import { expect } from "vitest";

import type { Actor } from "@/lib/auth/session";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { prepareWarehouse } from "@/lib/demo/warehouse";
import { AppError } from "@/lib/errors";
import type { GrantStatus } from "@/lib/generated/prisma/enums";
import { scheduleGrantJobs } from "@/lib/jobs/queue";

export const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export type Warehouse = {
  /** URL of a superuser on the warehouse database. */
  superuserUrl: string;
  host: string;
  port: number;
  database: string;
  groupRole: string;
  managerRole: string;
  /** Name of the setting with the management URL, which is set in process.env. */
  managementUrlSetting: string;
  /**
   * Drops the warehouse database, the login roles still in the group role, the roles named in
   * `extraRoles`, the group role and the manager role.
   */
  drop(extraRoles?: readonly string[]): Promise<void>;
};

/**
 * Creates a warehouse database with its own group and manager roles on the server at `serverUrl`
 * (a superuser URL), and puts its management URL in process.env under a setting named for `suffix`.
 */
export async function createWarehouse(serverUrl: string, suffix: string): Promise<Warehouse> {
  const database = `vap_wh_${suffix}`;
  const groupRole = `vap_ro_${suffix}`;
  const managerRole = `vap_mgr_${suffix}`;
  const managementUrlSetting = `TEST_WAREHOUSE_${suffix.toUpperCase()}_URL`;

  process.env[managementUrlSetting] = await prepareWarehouse({
    superuserUrl: serverUrl,
    database,
    groupRole,
    managerRole,
    managerPassword: randomBytes(12).toString("hex"),
  });
  const server = new URL(serverUrl);
  const superuserUrl = new URL(serverUrl);
  superuserUrl.pathname = `/${database}`;

  return {
    superuserUrl: superuserUrl.toString(),
    host: server.hostname,
    port: Number(server.port || 5432),
    database,
    groupRole,
    managerRole,
    managementUrlSetting,
    drop: async (extraRoles = []) => {
      delete process.env[managementUrlSetting];
      const admin = new pg.Client({ connectionString: serverUrl });
      admin.on("error", () => undefined);
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
        const { rows } = await admin.query<{ rolname: string }>(
          `SELECT r.rolname FROM pg_roles r
            WHERE r.rolname LIKE 'vap\\_g\\_%'
              AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname = $1)`,
          [groupRole],
        );
        for (const roleName of new Set([...rows.map((row) => row.rolname), ...extraRoles])) await dropRole(admin, roleName);
        for (const role of [managerRole, groupRole]) await dropRole(admin, role);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Terminates a role's sessions and drops it, if it exists. */
export async function dropRole(admin: pg.Client, roleName: string): Promise<void> {
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [roleName]);
  await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(roleName)}`);
}

export type SeededPortal = {
  resourceId: string;
  resourceSlug: string;
  vendorId: string;
  holder: Actor;
  admin: Actor;
};

/** Adds a vendor, a vendor user who is the holder of the grants, an admin and a POSTGRES resource on `warehouse`. */
export async function seedPortal(warehouse: Pick<Warehouse, "host" | "port" | "database" | "groupRole" | "managementUrlSetting">, suffix: string): Promise<SeededPortal> {
  const vendorSlug = `acme-${suffix}`;
  const resourceSlug = `wh-${suffix}`;
  await applyPortalConfig(
    {
      vendors: [{ slug: vendorSlug, name: `Acme ${suffix}` }],
      users: [
        { email: `holder-${suffix}@acme.example`, name: "Holder", role: "VENDOR", vendor: vendorSlug, initialPassword: "a-long-password-1" },
        { email: `admin-${suffix}@corp.example`, name: "Admin", role: "ADMIN", initialPassword: "a-long-password-2" },
      ],
      resources: [
        {
          slug: resourceSlug,
          name: `Warehouse ${suffix}`,
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
          vendors: [vendorSlug],
        },
      ],
    },
    { source: "reconcile test", actorLabel: "system:test" },
  );

  const resource = await db.resource.findUniqueOrThrow({ where: { slug: resourceSlug } });

  return {
    resourceId: resource.id,
    resourceSlug,
    vendorId: (await db.vendor.findUniqueOrThrow({ where: { slug: vendorSlug } })).id,
    holder: await actorFor(`holder-${suffix}@acme.example`),
    admin: await actorFor(`admin-${suffix}@corp.example`),
  };
}

export async function actorFor(email: string): Promise<Actor> {
  const user = await db.user.findUniqueOrThrow({ where: { email }, include: { vendor: true } });

  return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: user.vendor?.name ?? null };
}

/**
 * Creates an approved request and its grant with the given window, as approval would. With
 * `scheduleJobs` the activation and expiry jobs are enqueued in the same transaction.
 */
export async function createGrant(
  portal: SeededPortal,
  window: { startsAt: Date; endsAt: Date },
  options: { status?: GrantStatus; scheduleJobs?: boolean } = {},
) {
  return db.$transaction(async (tx) => {
    const request = await tx.accessRequest.create({
      data: {
        vendorId: portal.vendorId,
        requesterId: portal.holder.id,
        resourceId: portal.resourceId,
        accessLevel: "read",
        windowKind: "FIXED",
        requestedStart: window.startsAt,
        requestedEnd: window.endsAt,
        justification: "Reconcile and worker integration test.",
        status: "APPROVED",
        decidedAt: new Date(),
      },
    });
    const grant = await tx.grant.create({
      data: {
        requestId: request.id,
        vendorId: portal.vendorId,
        resourceId: portal.resourceId,
        holderId: portal.holder.id,
        accessLevel: "read",
        startsAt: window.startsAt,
        endsAt: window.endsAt,
        status: options.status ?? "SCHEDULED",
      },
    });
    if (options.scheduleJobs) await scheduleGrantJobs(tx, grant);

    return grant;
  });
}

/** Counts a grant's audit events with `action`. */
export async function countAuditEvents(grantId: string, action: string): Promise<number> {
  return db.auditEvent.count({ where: { grantId, action } });
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined, and fails after
 * `timeoutMs` with `description` in the message.
 */
export async function waitFor<T>(description: string, check: () => Promise<T | undefined>, options: { timeoutMs: number; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

export function randomSuffix(): string {
  return randomBytes(4).toString("hex");
}

/** Awaits `promise`, expects it to reject with an AppError of `code`, and returns that error. */
export async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);

  return error as AppError;
}
