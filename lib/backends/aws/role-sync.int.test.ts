// The AWS role backend against real PostgreSQL and the fake IAM: concurrent approvals and
// revocations on one role, and failures that the grant lifecycle records and retries.
import { randomBytes } from "node:crypto";

import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";

import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { activateGrant, expireGrant, revokeGrant } from "@/lib/grants/lifecycle";
import { retryFailedGrant } from "@/lib/grants/retry";
import { stopBoss } from "@/lib/jobs/queue";

import { createAwsRoleBackend } from "./backend";
import type { AwsClients } from "./clients";
import { SESSION_TAG_GRANT, type PolicyLimits } from "./policies";
import { parseAwsResourceConfig, vendorRoleOf, type VendorRole } from "./role";
import { PERMISSION_POLICY_NAME, previewVendorRole } from "./role-sync";
import { accessDeniedError, FakeIam } from "./testing/fake-iam";
import { clientsWithFakeIam, PORTAL_PRINCIPAL_ARN, RDS_CONFIG, S3_CONFIG, VENDOR_ACCOUNT_ID } from "./testing/fixtures";

// backendFor() in the lifecycle uses the process-wide clients; here they talk to the fake IAM.
const shared = vi.hoisted(() => ({ clients: undefined as AwsClients | undefined }));
vi.mock("@/lib/backends/aws/clients", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./clients")>();

  return { ...actual, getAwsClients: () => shared.clients };
});

const suffix = randomBytes(4).toString("hex");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Raised far above IAM's quotas, so that 50 grants fit on one role in the concurrency test. */
const RAISED_LIMITS: PolicyLimits = { trustPolicyMaxChars: 1_000_000, inlinePoliciesMaxChars: 1_000_000, sessionPolicyMaxChars: 2048 };

let requesterId: string;
let s3Resource: { id: string; config: unknown };
let rdsResource: { id: string; config: unknown };
let vendorCounter = 0;

type Vendor = { id: string; slug: string; role: VendorRole };

/** Creates a vendor with its own role, so tests do not share IAM state. */
async function createVendor(awsAccountId: string | null = VENDOR_ACCOUNT_ID): Promise<Vendor> {
  vendorCounter += 1;
  const slug = `v${vendorCounter}-${suffix}`;
  const vendor = await db.vendor.create({ data: { slug, name: slug, awsAccountId, externalId: `ext-${randomBytes(12).toString("hex")}` } });
  const role = vendorRoleOf(parseAwsResourceConfig({ slug: "exchange", kind: "S3_PREFIX", config: s3Resource.config }), slug);

  return { id: vendor.id, slug, role };
}

async function createGrant(
  vendor: Vendor,
  options: { kind?: "S3_PREFIX" | "RDS_IAM"; status?: "SCHEDULED" | "ACTIVE" | "FAILED"; level?: string; startsAt?: Date; endsAt?: Date } = {},
) {
  const resource = options.kind === "RDS_IAM" ? rdsResource : s3Resource;
  const startsAt = options.startsAt ?? new Date(Date.now() - MINUTE);
  const endsAt = options.endsAt ?? new Date(Date.now() + 2 * HOUR);
  const request = await db.accessRequest.create({
    data: {
      vendorId: vendor.id,
      requesterId,
      resourceId: resource.id,
      accessLevel: options.level ?? "read",
      windowKind: "FIXED",
      requestedStart: startsAt,
      requestedEnd: endsAt,
      justification: "Exchange of shipment files for the March audit.",
      status: "APPROVED",
      decidedAt: new Date(),
    },
  });

  return db.grant.create({
    data: {
      requestId: request.id,
      vendorId: vendor.id,
      resourceId: resource.id,
      holderId: requesterId,
      accessLevel: options.level ?? "read",
      startsAt,
      endsAt,
      status: options.status ?? "SCHEDULED",
    },
  });
}

type PolicyStatementLike = { Effect: string; Condition?: Record<string, Record<string, unknown>> };

/** Grant ids in the conditions of a document's Allow statements, under the given condition key. */
function grantIdsIn(document: string | undefined, conditionKey: string): Set<string> {
  const statements = (JSON.parse(document ?? '{"Statement":[]}') as { Statement: PolicyStatementLike[] }).Statement;
  const ids = statements.filter((statement) => statement.Effect === "Allow").flatMap((statement) => statement.Condition?.StringEquals?.[conditionKey] ?? []);

  return new Set([ids].flat(2).filter((id): id is string => typeof id === "string"));
}

const permissionIds = (document: string | undefined) => grantIdsIn(document, `aws:PrincipalTag/${SESSION_TAG_GRANT}`);
const trustIds = (document: string | undefined) => grantIdsIn(document, `aws:RequestTag/${SESSION_TAG_GRANT}`);

function newFake(options: { quotas?: boolean; tick?: () => number } = {}) {
  const fake = new FakeIam({
    latencyMs: [5, 30],
    tick: options.tick,
    ...(options.quotas === false ? { trustPolicyQuota: 1_000_000, inlinePoliciesQuota: 1_000_000 } : {}),
  });
  const clients = clientsWithFakeIam(fake);
  mockClient(clients.sts)
    .on(GetCallerIdentityCommand)
    .resolves({ Arn: "arn:aws:sts::111111111111:assumed-role/vendor-access-portal/i-0abc", Account: "111111111111" });

  return { fake, clients };
}

async function expectAppError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);

  return error as AppError;
}

beforeAll(async () => {
  await applyPortalConfig(
    {
      vendors: [{ slug: `seed-${suffix}`, name: "Seed vendor", awsAccountId: VENDOR_ACCOUNT_ID }],
      users: [{ email: `holder-${suffix}@seed.example`, name: "Holder", role: "VENDOR", vendor: `seed-${suffix}`, initialPassword: "a-long-password-1" }],
      resources: [
        { slug: `exchange-${suffix}`, name: "Exchange", kind: "S3_PREFIX", config: S3_CONFIG, accessLevels: ["read", "upload", "read-write"], maxDurationMinutes: 480 },
        { slug: `replica-${suffix}`, name: "Replica", kind: "RDS_IAM", config: RDS_CONFIG, accessLevels: ["read"], maxDurationMinutes: 480 },
      ],
    },
    { source: "aws role-sync test", actorLabel: "system:test" },
  );
  requesterId = (await db.user.findUniqueOrThrow({ where: { email: `holder-${suffix}@seed.example` } })).id;
  s3Resource = await db.resource.findUniqueOrThrow({ where: { slug: `exchange-${suffix}` } });
  rdsResource = await db.resource.findUniqueOrThrow({ where: { slug: `replica-${suffix}` } });
});

afterAll(async () => {
  await stopBoss();
  await db.$disconnect();
});

describe("concurrent approvals and revocations", () => {
  test("50 at once end in exactly the rendered state", { timeout: 120_000 }, async () => {
    let clock = 0;
    const tick = () => ++clock;
    const { fake, clients } = newFake({ quotas: false, tick });
    const backend = createAwsRoleBackend({ clients: () => clients, portalPrincipalArn: async () => PORTAL_PRINCIPAL_ARN, limits: RAISED_LIMITS });
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });

    // 25 grants are live before the test; each of them is revoked while 25 new ones are approved.
    const levels = ["read", "upload", "read-write"];
    const existing = await Promise.all(
      Array.from({ length: 25 }, (_value, index) =>
        createGrant(vendor, { status: "ACTIVE", kind: index % 5 === 0 ? "RDS_IAM" : "S3_PREFIX", level: index % 5 === 0 ? "read" : levels[index % 3] }),
      ),
    );
    const first = existing[0]!;
    await db.$transaction(async (tx) => {
      const grant = await tx.grant.findUniqueOrThrow({ where: { id: first.id }, include: { resource: true, vendor: true } });
      const { resource, vendor: grantVendor, ...rest } = grant;
      await backend.activate({ grant: rest, resource, vendor: grantVendor, tx });
    });
    const baselineWrites = fake.calls.length;

    // Events in the order the test saw them; `tick` also stamps the start of every IAM call.
    const committed = new Map<string, number>(existing.map((grant) => [grant.id, 0]));
    const revocationStarted = new Map<string, number>();
    const revocationCommitted = new Map<string, number>();
    const syncs: { kind: "activate" | "deactivate"; grantId: string; enteredAt: number; returnedAt: number }[] = [];
    const txOptions = { timeout: 120_000, maxWait: 120_000 };

    const withGrant = async (grantId: string, kind: "activate" | "deactivate", status: "ACTIVE" | "REVOKED") =>
      db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Grant" WHERE id = ${grantId} FOR UPDATE`;
        const grant = await tx.grant.findUniqueOrThrow({ where: { id: grantId }, include: { resource: true, vendor: true } });
        const { resource, vendor: grantVendor, ...rest } = grant;
        const enteredAt = tick();
        await backend[kind]({ grant: rest, resource, vendor: grantVendor, tx });
        syncs.push({ kind, grantId, enteredAt, returnedAt: tick() });
        const data = status === "ACTIVE" ? { status, activatedAt: new Date() } : { status, endedAt: new Date(), revokeReason: "test" };
        await tx.grant.update({ where: { id: grantId }, data });
      }, txOptions);

    const approve = async (index: number) => {
      const kind = index % 4 === 0 ? "RDS_IAM" : "S3_PREFIX";
      const grant = await createGrant(vendor, { kind, level: kind === "RDS_IAM" ? "read" : levels[index % 3] });
      committed.set(grant.id, tick());
      await withGrant(grant.id, "activate", "ACTIVE");
    };
    const revoke = async (grantId: string) => {
      revocationStarted.set(grantId, tick());
      await withGrant(grantId, "deactivate", "REVOKED");
      revocationCommitted.set(grantId, tick());
    };

    const operations = [...Array.from({ length: 25 }, (_value, index) => () => approve(index)), ...existing.map((grant) => () => revoke(grant.id))];
    operations.sort(() => Math.random() - 0.5);
    const results = await Promise.allSettled(operations.map((operation) => operation()));

    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await db.grant.count({ where: { vendorId: vendor.id, status: "ACTIVE" } })).toBe(25);
    expect(await db.grant.count({ where: { vendorId: vendor.id, status: "REVOKED" } })).toBe(25);

    // The final documents are exactly a fresh render of the final database state.
    const preview = await previewVendorRole({ role: vendor.role, vendorId: vendor.id, portalPrincipalArn: PORTAL_PRINCIPAL_ARN, limits: RAISED_LIMITS });
    const stored = fake.role(vendor.role.roleName)!;
    expect(stored.trustPolicy).toBe(JSON.stringify(preview.state.trustPolicy));
    expect(stored.inlinePolicies.get(PERMISSION_POLICY_NAME)).toBe(JSON.stringify(preview.state.permissionPolicy));
    expect(preview.liveGrantIds).toHaveLength(25);
    expect(preview.revokedGrantIds).toHaveLength(25);

    const writes = [...fake.writes("PutRolePolicy"), ...fake.writes("UpdateAssumeRolePolicy")];
    expect(writes).toHaveLength(baselineWrites + 2 * 50);
    const idsOf = (write: (typeof writes)[number]) =>
      write.action === "PutRolePolicy" ? permissionIds(write.input.PolicyDocument) : trustIds(write.input.PolicyDocument);

    // The role lock serializes the syncs, so the last two writes that start before a sync returns
    // are its own (a sync waiting for the lock gets the holder's writes first). Each contains every grant committed as live before the sync began (unless its revocation has
    // begun since), the sync's own grant when activating, and no grant revoked before the sync began.
    for (const sync of syncs) {
      const own = writes
        .filter((write) => write.startedAt > sync.enteredAt && write.startedAt < sync.returnedAt)
        .sort((a, b) => a.startedAt - b.startedAt)
        .slice(-2);
      expect(own.map((write) => write.action)).toEqual(["PutRolePolicy", "UpdateAssumeRolePolicy"]);
      for (const write of own) {
        const ids = idsOf(write);
        expect(ids.has(sync.grantId), `${sync.kind} of ${sync.grantId}: ${write.action}`).toBe(sync.kind === "activate");
        for (const [grantId, committedAt] of committed) {
          const revoking = revocationStarted.get(grantId);
          if (committedAt < sync.enteredAt && (revoking === undefined || revoking > sync.returnedAt)) {
            expect(ids.has(grantId), `${write.action} at ${write.startedAt} lacks live grant ${grantId}`).toBe(true);
          }
          const revoked = revocationCommitted.get(grantId);
          if (revoked !== undefined && revoked < sync.enteredAt) {
            expect(ids.has(grantId), `${write.action} at ${write.startedAt} still allows revoked grant ${grantId}`).toBe(false);
          }
        }
      }
    }

    // No write drops a grant that the previous write of the same policy had, unless that grant's
    // revocation had begun: a grant's statements are never lost to a concurrent writer.
    for (const action of ["PutRolePolicy", "UpdateAssumeRolePolicy"] as const) {
      const sequence = fake.writes(action);
      for (let index = 1; index < sequence.length; index += 1) {
        const before = idsOf(sequence[index - 1]!);
        const after = idsOf(sequence[index]!);
        for (const grantId of before) {
          if (after.has(grantId)) continue;
          const revoking = revocationStarted.get(grantId);
          const message = `${action} at ${sequence[index]!.startedAt} dropped ${grantId}`;
          expect(revoking, message).toBeDefined();
          expect(revoking!, message).toBeLessThan(sequence[index]!.startedAt);
        }
      }
    }
  });
});

describe("role lock", () => {
  test("a sync waits until a revocation commits", { timeout: 60_000 }, async () => {
    const { fake, clients } = newFake();
    const backend = createAwsRoleBackend({ clients: () => clients, portalPrincipalArn: async () => PORTAL_PRINCIPAL_ARN });
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });
    const revoked = await createGrant(vendor, { status: "ACTIVE", level: "upload" });
    const approved = await createGrant(vendor, { level: "read" });
    let releaseRevocation!: () => void;
    const revocationHeld = new Promise<void>((resolve) => (releaseRevocation = resolve));

    // The revocation writes the role, then keeps its transaction open until released.
    const revocation = db.$transaction(
      async (tx) => {
        const grant = await tx.grant.findUniqueOrThrow({ where: { id: revoked.id }, include: { resource: true, vendor: true } });
        const { resource, vendor: grantVendor, ...rest } = grant;
        await backend.deactivate({ grant: rest, resource, vendor: grantVendor, tx });
        await tx.grant.update({ where: { id: revoked.id }, data: { status: "REVOKED", endedAt: new Date() } });
        await revocationHeld;
      },
      { timeout: 30_000 },
    );
    await vi.waitFor(() => expect(fake.writes("UpdateAssumeRolePolicy")).toHaveLength(1), { timeout: 10_000 });

    const activation = db.$transaction(
      async (tx) => {
        const grant = await tx.grant.findUniqueOrThrow({ where: { id: approved.id }, include: { resource: true, vendor: true } });
        const { resource, vendor: grantVendor, ...rest } = grant;
        await backend.activate({ grant: rest, resource, vendor: grantVendor, tx });
      },
      { timeout: 30_000 },
    );
    await vi.waitFor(
      async () => {
        const waiting = await db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
        expect(waiting[0]!.count).toBe(1);
      },
      { timeout: 10_000 },
    );
    expect(fake.writes("UpdateAssumeRolePolicy")).toHaveLength(1);

    releaseRevocation();
    await Promise.all([revocation, activation]);

    const role = fake.role(vendor.role.roleName)!;
    expect(permissionIds(role.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(new Set([approved.id]));
    expect(trustIds(role.trustPolicy)).toEqual(new Set([approved.id]));
  });
});

describe("failures through the grant lifecycle", () => {
  let fake: FakeIam;

  beforeEach(() => {
    const created = newFake();
    fake = created.fake;
    shared.clients = created.clients;
  });

  test("denied write is recorded, then retried", async () => {
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });
    const grant = await createGrant(vendor, { level: "upload" });
    fake.failNext("PutRolePolicy", () => accessDeniedError("iam:PutRolePolicy"));

    const error = await expectAppError(activateGrant(grant.id));

    expect(error.code).toBe("PROVISIONING_FAILED");
    const failed = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(failed.status).toBe("SCHEDULED");
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toContain("not allowed to call iam:PutRolePolicy");

    expect(await activateGrant(grant.id)).toBe("activated");
    const active = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(active.status).toBe("ACTIVE");
    expect(active.lastError).toBeNull();
    expect(active.targetName).toBe(vendor.role.roleArn);
    expect(permissionIds(fake.role(vendor.role.roleName)!.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(new Set([grant.id]));
  });

  test("a missing role is stored on the grant", async () => {
    const vendor = await createVendor();
    const grant = await createGrant(vendor);

    await expectAppError(activateGrant(grant.id));

    const failed = await db.grant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(failed.lastError).toBe(
      `IAM role ${vendor.role.roleName} does not exist in account 111111111111. Create it under the path /vendor-access/ (ARN ${vendor.role.roleArn}), then retry the grant.`,
    );

    fake.createRole({ roleName: vendor.role.roleName });
    expect(await activateGrant(grant.id)).toBe("activated");
  });

  test("oversized state fails without writing", async () => {
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });
    const grants = await Promise.all(Array.from({ length: 12 }, () => createGrant(vendor, { level: "read-write" })));

    await expectAppError(activateGrant(grants[0]!.id));

    const failed = await db.grant.findUniqueOrThrow({ where: { id: grants[0]!.id } });
    expect(failed.lastError).toContain("would not fit, so nothing was written");
    expect(fake.calls).toEqual([]);
  });

  test("an admin's retry of a FAILED grant provisions it", async () => {
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });
    const grant = await createGrant(vendor, { status: "FAILED", kind: "RDS_IAM" });
    const admin = { id: requesterId, email: "admin@test.example", name: "Admin", role: "ADMIN" as const, vendorId: null, vendorName: null };

    // Jobs leave a FAILED grant alone; only an admin's retry provisions it again.
    expect(await activateGrant(grant.id)).toBe("awaiting-retry");
    await retryFailedGrant(admin, grant.id);
    expect((await db.grant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe("ACTIVE");

    expect(permissionIds(fake.role(vendor.role.roleName)!.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(new Set([grant.id]));
  });

  test("revocation removes the grant and denies its sessions", async () => {
    const vendor = await createVendor();
    fake.createRole({ roleName: vendor.role.roleName });
    const kept = await createGrant(vendor, { level: "read" });
    const revoked = await createGrant(vendor, { level: "upload" });
    await activateGrant(kept.id);
    await activateGrant(revoked.id);

    expect(await revokeGrant(revoked.id, { actor: { id: requesterId, label: "user:test" }, reason: "done early" })).toBe("ended");

    const role = fake.role(vendor.role.roleName)!;
    const permission = role.inlinePolicies.get(PERMISSION_POLICY_NAME);
    expect(permissionIds(permission)).toEqual(new Set([kept.id]));
    expect(trustIds(role.trustPolicy)).toEqual(new Set([kept.id]));
    expect(permission).toContain("DenyRevokedGrants");
    expect(permission).toContain(revoked.id);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { grantId: revoked.id, action: "grant.revoked" } });
    expect(audit.data).toMatchObject({ roleArn: vendor.role.roleArn, sessionsDeniedExplicitly: true });
  });

  test("expiry of the last grant deletes the inline policy", async () => {
    const vendor = await createVendor();
    const role = fake.createRole({ roleName: vendor.role.roleName });
    role.inlinePolicies.set(PERMISSION_POLICY_NAME, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}]}');
    const grant = await createGrant(vendor, { kind: "RDS_IAM", status: "ACTIVE", startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() - 1000) });

    expect(await expireGrant(grant.id)).toBe("ended");

    expect(role.inlinePolicies.has(PERMISSION_POLICY_NAME)).toBe(false);
    expect(trustIds(role.trustPolicy)).toEqual(new Set());
    const audit = await db.auditEvent.findFirstOrThrow({ where: { grantId: grant.id, action: "grant.expired" } });
    expect(audit.data).toMatchObject({ sessionsDeniedExplicitly: false, openDatabaseConnectionsClosed: false });
  });

  test("a vendor without an AWS account gets no trust windows", async () => {
    const vendor = await createVendor(null);
    fake.createRole({ roleName: vendor.role.roleName });
    const grant = await createGrant(vendor);

    await activateGrant(grant.id);

    const trust = JSON.parse(fake.role(vendor.role.roleName)!.trustPolicy) as { Statement: { Principal: { AWS: string } }[] };
    expect(trust.Statement.map((statement) => statement.Principal.AWS)).toEqual([PORTAL_PRINCIPAL_ARN]);
  });
});
