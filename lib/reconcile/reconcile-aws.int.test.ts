// Reconciling AWS vendor roles: reconcileAll() re-renders each role with syncVendorRole against a
// fake IAM (no request leaves the process) and records a repair only when IAM held other documents.
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, expect, test } from "vitest";

import { clientsWithFakeIam, PORTAL_PRINCIPAL_ARN, S3_CONFIG } from "@/lib/backends/aws/testing/fixtures";
import { accessDeniedError, FakeIam } from "@/lib/backends/aws/testing/fake-iam";
import { PERMISSION_POLICY_NAME } from "@/lib/backends/aws/role-sync";
import { verifyAuditChain } from "@/lib/audit";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";

import { reconcileAll, REPAIRED_ACTION, type ReconcileSummary } from "./index";
import { actorFor, createGrant, randomSuffix, type SeededPortal } from "@/lib/testing/fixtures";

const HOUR_MS = 3_600_000;
const suffix = randomSuffix();
const vendorSlug = `aws-${suffix}`;
const roleName = `vap-${vendorSlug}`;
const roleArn = `arn:aws:iam::${S3_CONFIG.role.accountId}:role/vendor-access/${roleName}`;

let portal: SeededPortal;
let fake: FakeIam;
let aws: Parameters<typeof reconcileAll>[0];

beforeAll(async () => {
  await applyPortalConfig(
    {
      vendors: [{ slug: vendorSlug, name: `AWS vendor ${suffix}`, awsAccountId: "222222222222" }],
      users: [
        { email: `holder-${suffix}@aws.example`, name: "Holder", role: "VENDOR", vendor: vendorSlug, initialPassword: "a-long-password-1" },
        { email: `admin-${suffix}@corp.example`, name: "Admin", role: "ADMIN", initialPassword: "a-long-password-2" },
      ],
      resources: [
        {
          slug: `s3-${suffix}`,
          name: "Exchange bucket",
          kind: "S3_PREFIX",
          config: S3_CONFIG,
          accessLevels: ["read", "upload"],
          maxDurationMinutes: 240,
          vendors: [vendorSlug],
        },
      ],
    },
    { source: "reconcile aws test", actorLabel: "system:test" },
  );
  const resource = await db.resource.findUniqueOrThrow({ where: { slug: `s3-${suffix}` } });
  portal = {
    resourceId: resource.id,
    resourceSlug: resource.slug,
    vendorId: (await db.vendor.findUniqueOrThrow({ where: { slug: vendorSlug } })).id,
    holder: await actorFor(`holder-${suffix}@aws.example`),
    admin: await actorFor(`admin-${suffix}@corp.example`),
  };

  fake = new FakeIam({ latencyMs: [0, 2] });
  fake.createRole({ roleName, accountId: S3_CONFIG.role.accountId });
  aws = { aws: { clients: clientsWithFakeIam(fake), portalPrincipalArn: PORTAL_PRINCIPAL_ARN } };

  const now = Date.now();
  await createGrant(portal, { startsAt: new Date(now - 60_000), endsAt: new Date(now + HOUR_MS) }, { status: "ACTIVE" });
});

afterAll(async () => {
  await db.grant.updateMany({ where: { resourceId: portal.resourceId, status: "ACTIVE" }, data: { status: "EXPIRED", endedAt: new Date() } });
});

function roleRepairs(summary: ReconcileSummary) {
  return summary.repairs.filter((repair) => repair.target === roleArn);
}

function roleFailures(summary: ReconcileSummary) {
  return summary.failures.filter((failure) => failure.target === roleArn);
}

test("role missing its policies is rendered", async () => {
  const summary = await reconcileAll(aws);

  expect(roleFailures(summary)).toEqual([]);
  expect(roleRepairs(summary)).toEqual([
    expect.objectContaining({ subject: roleArn, repair: "rewrote-role-policies", differences: ["trust-policy", "permission-policy"] }),
  ]);
  expect(fake.role(roleName)?.inlinePolicies.has(PERMISSION_POLICY_NAME)).toBe(true);
  const event = await db.auditEvent.findFirstOrThrow({ where: { action: REPAIRED_ACTION, subjectType: "vendor", subjectId: portal.vendorId }, orderBy: { seq: "desc" } });
  expect(event.data).toMatchObject({ roleArn, permissionPolicy: { held: "missing", written: "present" }, trustPolicy: { held: "present" } });
  // The trust policy carries the vendor's ExternalId, which must not reach the audit log.
  const vendor = await db.vendor.findUniqueOrThrow({ where: { id: portal.vendorId } });
  expect(JSON.stringify(event.data)).not.toContain(vendor.externalId);
});

test("role in line needs no repair", async () => {
  const writesBefore = fake.writes("PutRolePolicy").length;

  const summary = await reconcileAll(aws);

  expect(roleFailures(summary)).toEqual([]);
  expect(roleRepairs(summary)).toEqual([]);
  // syncVendorRole writes every time; the comparison only decides whether a repair is recorded.
  expect(fake.writes("PutRolePolicy").length).toBe(writesBefore + 1);
});

test("statement added by hand is removed", async () => {
  const role = fake.role(roleName)!;
  const held = JSON.parse(role.inlinePolicies.get(PERMISSION_POLICY_NAME)!) as { Statement: object[] };
  held.Statement.push({ Sid: "AddedByHand", Effect: "Allow", Action: "s3:*", Resource: "*" });
  role.inlinePolicies.set(PERMISSION_POLICY_NAME, JSON.stringify(held));

  const summary = await reconcileAll(aws);

  expect(roleRepairs(summary)).toEqual([expect.objectContaining({ differences: ["permission-policy"] })]);
  expect(role.inlinePolicies.get(PERMISSION_POLICY_NAME)).not.toContain("AddedByHand");
  const event = await db.auditEvent.findFirstOrThrow({ where: { action: REPAIRED_ACTION, subjectId: portal.vendorId }, orderBy: { seq: "desc" } });
  expect(event.data).toMatchObject({ permissionPolicy: { removedStatements: ["AddedByHand"], addedStatements: [], changedStatements: [] } });
  await expect(verifyAuditChain()).resolves.toMatchObject({ ok: true });
});

test("unreadable role is still written", async () => {
  const role = fake.role(roleName)!;
  role.inlinePolicies.delete(PERMISSION_POLICY_NAME);
  // Only this role's GetRole is denied: the shared test database may give the run other roles too.
  const clients = clientsWithFakeIam(fake);
  const denyGetRole = (command: unknown, ...rest: unknown[]) =>
    command instanceof GetRoleCommand && command.input.RoleName === roleName
      ? Promise.reject(accessDeniedError("iam:GetRole"))
      : Reflect.apply(clients.iam.send, clients.iam, [command, ...rest]);
  const iam = new Proxy(clients.iam, { get: (target, property, receiver) => (property === "send" ? denyGetRole : Reflect.get(target, property, receiver)) });

  const summary = await reconcileAll({ aws: { clients: { ...clients, iam }, portalPrincipalArn: PORTAL_PRINCIPAL_ARN } });

  expect(roleFailures(summary)).toEqual([]);
  expect(roleRepairs(summary)).toEqual([]);
  expect(role.inlinePolicies.has(PERMISSION_POLICY_NAME)).toBe(true);
});
