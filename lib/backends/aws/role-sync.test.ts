// syncVendorRole against the fake IAM, through the SDK's HTTP stack so that its standard retry
// strategy runs as against AWS. The database is a stand-in transaction that returns fixed rows;
// role-sync.int.test.ts runs the same code against PostgreSQL.
import { MalformedPolicyDocumentException } from "@aws-sdk/client-iam";
import { describe, expect, test, vi } from "vitest";

import type { Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";

import { DEFAULT_POLICY_LIMITS, SESSION_TAG_GRANT } from "./policies";
import { parseAwsResourceConfig, vendorRoleOf } from "./role";
import { PERMISSION_POLICY_NAME, syncVendorRole, type SyncVendorRoleInput } from "./role-sync";
import { accessDeniedError, FakeIam, serviceFailureError, throttlingError } from "./testing/fake-iam";
import { clientsWithFakeIam, EXTERNAL_ID, PORTAL_PRINCIPAL_ARN, RDS_CONFIG, S3_CONFIG, VENDOR_ACCOUNT_ID } from "./testing/fixtures";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));
vi.mock("@/lib/db", () => ({ db: {} }));

const NOW = new Date("2026-03-01T12:00:00.000Z");
const HOUR = 60 * 60 * 1000;
const VENDOR_ID = "vendor-acme";
const role = vendorRoleOf(parseAwsResourceConfig({ slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG }), "acme");

type Row = {
  id: string;
  status: string;
  startsAt: Date;
  endsAt: Date;
  endedAt: Date | null;
  accessLevel: string;
  vendorId: string;
  resource: { id: string; slug: string; kind: string; config: unknown };
  vendor: { slug: string };
};

const s3Resource = { id: "res-s3", slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG };
const rdsResource = { id: "res-rds", slug: "replica", kind: "RDS_IAM", config: RDS_CONFIG };

function row(id: string, overrides: Partial<Row> = {}): Row {
  return {
    id,
    status: "ACTIVE",
    startsAt: new Date(NOW.getTime() - HOUR),
    endsAt: new Date(NOW.getTime() + HOUR),
    endedAt: null,
    accessLevel: "read-write",
    vendorId: VENDOR_ID,
    resource: s3Resource,
    vendor: { slug: "acme" },
    ...overrides,
  };
}

/** A stand-in transaction: records the advisory lock and returns `rows` for the grant query. */
function fakeTx(rows: Row[], events: string[] = []) {
  const lockKeys: unknown[] = [];
  const tx = {
    $executeRaw: async (_strings: TemplateStringsArray, ...values: unknown[]) => {
      events.push("lock");
      lockKeys.push(values[0]);

      return 1;
    },
    vendor: {
      findUnique: async () => {
        events.push("vendor");

        return { id: VENDOR_ID, slug: "acme", awsAccountId: VENDOR_ACCOUNT_ID, externalId: EXTERNAL_ID };
      },
    },
    grant: {
      findMany: async () => {
        events.push("grants");

        return rows;
      },
    },
  };

  return { tx: tx as unknown as Tx, lockKeys };
}

function setUp(rows: Row[], options: { maxAttempts?: number } = {}) {
  const fake = new FakeIam({ latencyMs: [1, 3] });
  fake.createRole({ roleName: role.roleName, path: role.rolePath, accountId: role.accountId });
  const events: string[] = [];
  const { tx, lockKeys } = fakeTx(rows, events);
  const input: SyncVendorRoleInput = {
    role,
    vendorId: VENDOR_ID,
    portalPrincipalArn: PORTAL_PRINCIPAL_ARN,
    now: NOW,
    tx,
    clients: clientsWithFakeIam(fake, options),
  };

  return { fake, input, events, lockKeys };
}

async function catchAppError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);

  return error;
}

/** Grant ids that the document's Allow statements are tagged with. */
function allowedGrantIds(document: string | undefined): string[] {
  const parsed = JSON.parse(document ?? '{"Statement":[]}') as { Statement: { Effect: string; Condition?: Record<string, Record<string, unknown>> }[] };
  const ids = parsed.Statement.filter((statement) => statement.Effect === "Allow").map(
    (statement) => statement.Condition?.StringEquals?.[`aws:PrincipalTag/${SESSION_TAG_GRANT}`],
  );

  return [...new Set(ids.flat().filter((id): id is string => typeof id === "string"))].sort();
}

describe("syncVendorRole writes", () => {
  test("locks the role before reading grants", async () => {
    const { input, events, lockKeys } = setUp([row("g1")]);

    await syncVendorRole(input);

    expect(events).toEqual(["lock", "vendor", "grants"]);
    expect(lockKeys).toEqual(["iam-role:aws:111111111111:vap-acme"]);
  });

  test("writes permission policy before trust policy", async () => {
    const { fake, input } = setUp([row("g1"), row("g2", { resource: rdsResource, accessLevel: "read" })]);

    const result = await syncVendorRole(input);

    expect(fake.calls.map((call) => call.action)).toEqual(["PutRolePolicy", "UpdateAssumeRolePolicy"]);
    expect(fake.calls[0]!.input).toMatchObject({ RoleName: "vap-acme", PolicyName: PERMISSION_POLICY_NAME });
    expect(fake.calls[1]!.input).toMatchObject({ RoleName: "vap-acme" });
    expect(result.liveGrantIds).toEqual(["g1", "g2"]);
    expect(result.roleArn).toBe("arn:aws:iam::111111111111:role/vendor-access/vap-acme");
  });

  test("stores exactly the rendered documents", async () => {
    const { fake, input } = setUp([row("g1"), row("g2", { resource: rdsResource, accessLevel: "read" })]);

    await syncVendorRole(input);

    const stored = fake.role("vap-acme")!;
    expect(allowedGrantIds(stored.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(["g1", "g2"]);
    const trust = JSON.parse(stored.trustPolicy) as { Statement: { Principal?: { AWS?: string } }[] };
    expect(trust.Statement[0]!.Principal?.AWS).toBe(PORTAL_PRINCIPAL_ARN);
    expect(stored.trustPolicy).toContain(EXTERNAL_ID);
    expect(stored.trustPolicy).toContain(`arn:aws:iam::${VENDOR_ACCOUNT_ID}:root`);
  });

  test("running twice leaves the same documents", async () => {
    const { fake, input } = setUp([row("g1")]);

    await syncVendorRole(input);
    const first = { trust: fake.role("vap-acme")!.trustPolicy, permission: fake.role("vap-acme")!.inlinePolicies.get(PERMISSION_POLICY_NAME) };
    await syncVendorRole(input);

    expect(fake.role("vap-acme")!.trustPolicy).toBe(first.trust);
    expect(fake.role("vap-acme")!.inlinePolicies.get(PERMISSION_POLICY_NAME)).toBe(first.permission);
  });

  test("leaves out an excluded grant and denies its sessions", async () => {
    const { fake, input } = setUp([row("g1"), row("g2")]);

    const result = await syncVendorRole({ ...input, excludeGrantIds: ["g2"], revokedGrants: [{ grantId: "g2", revokedAt: NOW }] });

    const permission = fake.role("vap-acme")!.inlinePolicies.get(PERMISSION_POLICY_NAME);
    expect(result.liveGrantIds).toEqual(["g1"]);
    expect(result.revokedGrantIds).toEqual(["g2"]);
    expect(allowedGrantIds(permission)).toEqual(["g1"]);
    expect(permission).toContain("DenyRevokedGrants");
  });

  test("denies grants revoked in the database within the session lifetime", async () => {
    const recent = row("g-recent", { status: "REVOKED", endedAt: new Date(NOW.getTime() - 30 * 60 * 1000) });
    const old = row("g-old", { status: "REVOKED", endedAt: new Date(NOW.getTime() - 3 * HOUR) });
    const { input } = setUp([row("g1"), recent, old]);

    const result = await syncVendorRole(input);

    expect(result.revokedGrantIds).toEqual(["g-recent"]);
  });

  test("renders a FAILED grant only while it is being activated", async () => {
    const { input } = setUp([row("g1", { status: "FAILED" })]);

    const result = await syncVendorRole({ ...input, activatingGrantId: "g1" });

    expect(result.liveGrantIds).toEqual(["g1"]);
  });

  test("deletes the inline policy when no grant is left", async () => {
    const { fake, input } = setUp([]);
    fake.role("vap-acme")!.inlinePolicies.set(PERMISSION_POLICY_NAME, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}');

    const result = await syncVendorRole(input);

    expect(result.permissionPolicyWritten).toBe(false);
    expect(fake.calls.map((call) => call.action)).toEqual(["DeleteRolePolicy", "UpdateAssumeRolePolicy"]);
    expect(fake.role("vap-acme")!.inlinePolicies.has(PERMISSION_POLICY_NAME)).toBe(false);
  });

  test("treats an already deleted inline policy as done", async () => {
    const { fake, input } = setUp([]);

    await syncVendorRole(input);

    expect(fake.calls.map((call) => [call.action, call.error])).toEqual([
      ["DeleteRolePolicy", "NoSuchEntityException"],
      ["UpdateAssumeRolePolicy", undefined],
    ]);
  });

  test("rejects a role name shared with another vendor", async () => {
    const { fake, input } = setUp([row("g1"), row("g9", { vendorId: "vendor-other" })]);

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain("for another vendor too");
    expect(fake.calls).toEqual([]);
  });

  test("skips grants whose resource config is invalid", async () => {
    const broken = { id: "res-broken", slug: "broken", kind: "S3_PREFIX", config: { bucket: "x" } };
    const { input } = setUp([row("g1"), row("g2", { resource: broken })]);

    const result = await syncVendorRole(input);

    expect(result.liveGrantIds).toEqual(["g1"]);
  });
});

describe("syncVendorRole size limits", () => {
  test("writes nothing when the permission policy is too large", async () => {
    const rows = Array.from({ length: 20 }, (_value, index) => row(`grant-${String(index).padStart(3, "0")}`));
    const { fake, input } = setUp(rows);

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("nothing was written");
    expect(error.message).toContain("permission policy would be");
    expect(fake.calls).toEqual([]);
  });

  test("writes nothing when the trust policy is too large", async () => {
    const { fake, input } = setUp([row("g1")]);

    const error = await catchAppError(syncVendorRole({ ...input, limits: { ...DEFAULT_POLICY_LIMITS, trustPolicyMaxChars: 300 } }));

    expect(error.message).toContain("trust policy would be");
    expect(fake.calls).toEqual([]);
  });
});

describe("syncVendorRole errors", () => {
  test("retries throttling, then succeeds", { timeout: 15_000 }, async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.failNext("PutRolePolicy", throttlingError, 2);

    await syncVendorRole(input);

    expect(fake.calls.map((call) => [call.action, call.error])).toEqual([
      ["PutRolePolicy", "Throttling"],
      ["PutRolePolicy", "Throttling"],
      ["PutRolePolicy", undefined],
      ["UpdateAssumeRolePolicy", undefined],
    ]);
    expect(allowedGrantIds(fake.role("vap-acme")!.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(["g1"]);
  });

  test("fails after maxAttempts of throttling", { timeout: 15_000 }, async () => {
    const { fake, input } = setUp([row("g1")], { maxAttempts: 2 });
    fake.failNext("PutRolePolicy", throttlingError, 5);

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("IAM throttled iam:PutRolePolicy on role vap-acme after 2 attempts");
    expect(fake.calls.map((call) => call.action)).toEqual(["PutRolePolicy", "PutRolePolicy"]);
    expect(fake.role("vap-acme")!.inlinePolicies.size).toBe(0);
  });

  test("retries a service failure, then succeeds", { timeout: 15_000 }, async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.failNext("UpdateAssumeRolePolicy", serviceFailureError, 1);

    await syncVendorRole(input);

    expect(fake.calls.map((call) => [call.action, call.error])).toEqual([
      ["PutRolePolicy", undefined],
      ["UpdateAssumeRolePolicy", "ServiceFailure"],
      ["UpdateAssumeRolePolicy", undefined],
    ]);
  });

  test("names the denied action without retrying", async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.failNext("PutRolePolicy", () => accessDeniedError("iam:PutRolePolicy"));

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("not allowed to call iam:PutRolePolicy on role arn:aws:iam::111111111111:role/vendor-access/vap-acme");
    expect(error.message).toContain("roles under /vendor-access/ in account 111111111111");
    expect(error.message).not.toContain("assumed-role/portal");
    expect(fake.calls.map((call) => call.action)).toEqual(["PutRolePolicy"]);
  });

  test("names UpdateAssumeRolePolicy when only that is denied", async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.failNext("UpdateAssumeRolePolicy", () => accessDeniedError("iam:UpdateAssumeRolePolicy"));

    const error = await catchAppError(syncVendorRole(input));

    expect(error.message).toContain("not allowed to call iam:UpdateAssumeRolePolicy");
    // The permission policy is already written: the new, not a larger, state.
    expect(allowedGrantIds(fake.role("vap-acme")!.inlinePolicies.get(PERMISSION_POLICY_NAME))).toEqual(["g1"]);
  });

  test("says how to create a missing role", async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.roles.clear();

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toBe(
      "IAM role vap-acme does not exist in account 111111111111. Create it under the path /vendor-access/ (ARN arn:aws:iam::111111111111:role/vendor-access/vap-acme), then retry the grant.",
    );
    expect(fake.calls.map((call) => call.action)).toEqual(["PutRolePolicy"]);
  });

  test("says how to create a missing role when deleting", async () => {
    const { fake, input } = setUp([]);
    fake.roles.clear();

    const error = await catchAppError(syncVendorRole(input));

    expect(error.message).toContain("IAM role vap-acme does not exist in account 111111111111");
  });

  test("quotes IAM's reason for a malformed policy", async () => {
    const { fake, input } = setUp([row("g1")]);
    fake.failNext(
      "UpdateAssumeRolePolicy",
      () => new MalformedPolicyDocumentException({ message: 'Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:role/vendor-access-portal"', $metadata: { httpStatusCode: 400 } }),
    );

    const error = await catchAppError(syncVendorRole(input));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("IAM rejected the trust policy of role vap-acme as malformed: Invalid principal in policy");
    expect(fake.calls.map((call) => [call.action, call.error])).toEqual([
      ["PutRolePolicy", undefined],
      ["UpdateAssumeRolePolicy", "MalformedPolicyDocumentException"],
    ]);
  });

  test("explains IAM's quota error", async () => {
    // The SDK's standard retry mode counts LimitExceededException as throttling and would retry it.
    const { fake, input } = setUp([row("g1")], { maxAttempts: 1 });
    const filler = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"x".repeat(9800)}` }] });
    fake.role("vap-acme")!.inlinePolicies.set("hand-made", filler);

    const error = await catchAppError(syncVendorRole(input));

    expect(error.message).toContain("IAM rejected the permission policy of role vap-acme because it exceeds an IAM quota: Maximum policy size of 10240 bytes exceeded");
    expect(fake.role("vap-acme")!.inlinePolicies.has(PERMISSION_POLICY_NAME)).toBe(false);
    expect(fake.calls.map((call) => call.action)).toEqual(["PutRolePolicy"]);
  });
});
