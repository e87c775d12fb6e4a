import { describe, expect, test } from "vitest";

import { renderRoleState, selectRevokedGrantsToDeny } from "./role-state";
import { measurePolicy } from "./size";
import {
  EXTERNAL_ID,
  KMS_KEY_ARN,
  NOW,
  PORTAL_ROLE_ARN,
  VENDOR_ACCOUNT,
  VPC_ENDPOINT_ID,
  hoursFromNow,
  rdsGrant,
  s3Grant,
} from "./test-fixtures";
import type { RoleGrant } from "./types";

const TRUST = { portalPrincipalArn: PORTAL_ROLE_ARN, vendorAccountId: VENDOR_ACCOUNT, externalId: EXTERNAL_ID };

describe("renderRoleState", () => {
  test("renders both policies and their sizes", () => {
    const state = renderRoleState({ trustInput: TRUST, grants: [s3Grant(), rdsGrant()], now: NOW });

    expect(state.trustPolicy.Statement.map((s) => s.Sid)).toEqual(["PortalIssuesSessions", "VendorWindow1", "VendorSessionTags"]);
    expect(state.permissionPolicy!.Statement.map((s) => s.Sid)).toEqual(["grantS3List", "grantS3Objects", "grantRdsConnect"]);
    expect(state.sizes).toEqual({
      trustPolicyChars: measurePolicy(state.trustPolicy),
      permissionPolicyChars: measurePolicy(state.permissionPolicy!),
    });
    expect(state.problems).toEqual([]);
  });

  test("null permission policy without grants", () => {
    const state = renderRoleState({ trustInput: TRUST, grants: [], now: NOW });

    expect(state.permissionPolicy).toBeNull();
    expect(state.sizes.permissionPolicyChars).toBe(0);
  });

  test("revoked deny alone keeps the policy", () => {
    const state = renderRoleState({ trustInput: TRUST, grants: [], now: NOW, revokedGrants: [{ grantId: "r1", revokedAt: NOW }] });

    expect(state.permissionPolicy!.Statement.map((s) => s.Sid)).toEqual(["DenyRevokedGrants"]);
  });

  test("trust grants come from grants", () => {
    const state = renderRoleState({ trustInput: TRUST, grants: [rdsGrant({ grantId: "only" })], now: NOW });

    expect(state.trustPolicy.Statement[1]!.Condition!.StringEquals!["aws:RequestTag/vap-grant"]).toBe("only");
  });

  test("reports problems over the limits", () => {
    const limits = { trustPolicyMaxChars: 300, inlinePoliciesMaxChars: 300, sessionPolicyMaxChars: 2048 };
    const state = renderRoleState({ trustInput: TRUST, grants: [s3Grant()], now: NOW, limits });

    expect(state.problems.map((problem) => problem.limit)).toEqual(["trustPolicyMaxChars", "inlinePoliciesMaxChars"]);
  });
});

describe("selectRevokedGrantsToDeny", () => {
  const maxSessionSeconds = 3600;
  const margin = 300;

  test.each([
    ["just revoked", 0, true],
    ["inside session duration", -3000, true],
    ["inside margin", -(maxSessionSeconds + margin - 1), true],
    ["at the end of margin", -(maxSessionSeconds + margin), false],
    ["long ago", -86_400, false],
  ])("%s", (_name, offsetSeconds, kept) => {
    const revoked = [{ grantId: "r1", revokedAt: new Date(NOW.getTime() + offsetSeconds * 1000) }];

    expect(selectRevokedGrantsToDeny(revoked, { now: NOW, maxSessionSeconds })).toHaveLength(kept ? 1 : 0);
  });
});

// Capacity of a vendor role at the default limits, with values of realistic length: 25-character
// cuid grant ids, a 36-character ExternalId, a 25-character bucket name and a 31-character prefix.
describe("grants that fit the default limits", () => {
  const realisticTrust = {
    ...TRUST,
    portalPrincipalArn: "arn:aws:iam::111122223333:role/vendor-access/vendor-access-portal",
  };

  const realistic = (index: number, overrides: Partial<Extract<RoleGrant, { kind: "S3_PREFIX" }>>): RoleGrant =>
    s3Grant({
      grantId: `cm8x${String(index).padStart(2, "0")}k2v0000qwerty123456`,
      bucket: "acme-vendor-exchange-prod",
      prefix: "vendor-uploads/acme-industries/",
      // One grant a day, 8 hours each, so that no two trust windows merge.
      startsAt: hoursFromNow(1 + 24 * index),
      endsAt: hoursFromNow(9 + 24 * index),
      ...overrides,
    });

  function countThatFit(limit: "trustPolicyMaxChars" | "inlinePoliciesMaxChars", make: (index: number) => RoleGrant): number {
    let count = 0;

    while (count < 100) {
      const grants = Array.from({ length: count + 1 }, (_, index) => make(index));
      const state = renderRoleState({ trustInput: realisticTrust, grants, now: NOW });
      if (state.problems.some((problem) => problem.limit === limit)) break;
      count += 1;
    }

    return count;
  }

  test.each([
    ["read, SSE-S3", { level: "read" }, 12],
    ["upload, SSE-S3", { level: "upload" }, 10],
    ["read-write, SSE-S3", { level: "read-write" }, 10],
    ["upload, SSE-KMS, VPC endpoint", { level: "upload", encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN }, requiredVpcEndpointId: VPC_ENDPOINT_ID }, 6],
  ] as const)("permission policy: %s", (_name, overrides, expected) => {
    expect(countThatFit("inlinePoliciesMaxChars", (index) => realistic(index, overrides))).toBe(expected);
  });

  test("trust policy: separate windows", () => {
    expect(countThatFit("trustPolicyMaxChars", (index) => realistic(index, {}))).toBe(4);
  });

  test("trust policy: overlapping windows", () => {
    const overlapping = (index: number) => realistic(index, { startsAt: hoursFromNow(1), endsAt: hoursFromNow(9 + index) });

    // Each grant in a merged window adds only its quoted id, 29 characters, so the permission policy
    // fills up long before the trust policy does.
    expect(countThatFit("trustPolicyMaxChars", overlapping)).toBe(43);
  });
});
