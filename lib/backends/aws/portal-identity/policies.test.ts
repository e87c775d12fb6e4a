// Simulates the portal's own identity policy and the vendor-role boundary with
// @cloud-copilot/iam-simulate, so the set-up guide's promises are checked, not just written.
import { runSimulation, type EvaluationResult, type Simulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, test } from "vitest";

import { boundaryPolicyArn, renderPortalIdentityPolicy, renderVendorRoleBoundary } from "./policies";

const ACCOUNT = "111122223333";
const INPUT = { accountId: ACCOUNT, rolePath: "/vendor-access/", boundaryPolicyName: "vendor-access-boundary" };
const PORTAL = `arn:aws:sts::${ACCOUNT}:assumed-role/vendor-access-portal/task`;
const VENDOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/vendor-access/vap-acme`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/admin-role`;

async function evaluate(simulation: Simulation): Promise<EvaluationResult> {
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") throw new Error(`simulator rejected the request: ${JSON.stringify(response.errors)}`);

  return response.overallResult;
}

function portalCall(action: string, resource: string, context: Record<string, string> = {}): Simulation {
  return {
    request: { principal: PORTAL, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
    identityPolicies: [{ name: "portal", policy: renderPortalIdentityPolicy(INPUT) }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

const WITH_BOUNDARY = { "iam:PermissionsBoundary": boundaryPolicyArn(INPUT) };

describe("portal identity policy", () => {
  test.each([
    ["iam:PutRolePolicy", VENDOR_ROLE, WITH_BOUNDARY, "Allowed"],
    ["iam:UpdateAssumeRolePolicy", VENDOR_ROLE, WITH_BOUNDARY, "Allowed"],
    ["iam:DeleteRolePolicy", VENDOR_ROLE, WITH_BOUNDARY, "Allowed"],
    ["iam:GetRolePolicy", VENDOR_ROLE, {}, "Allowed"],
    ["iam:PutRolePolicy", VENDOR_ROLE, {}, "ImplicitlyDenied"],
    ["iam:PutRolePolicy", VENDOR_ROLE, { "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess` }, "ImplicitlyDenied"],
    ["iam:PutRolePolicy", OTHER_ROLE, WITH_BOUNDARY, "ImplicitlyDenied"],
    ["iam:UpdateAssumeRolePolicy", OTHER_ROLE, WITH_BOUNDARY, "ImplicitlyDenied"],
    ["iam:DeleteRolePermissionsBoundary", VENDOR_ROLE, WITH_BOUNDARY, "ExplicitlyDenied"],
    ["iam:PutRolePermissionsBoundary", VENDOR_ROLE, WITH_BOUNDARY, "ExplicitlyDenied"],
    ["iam:AttachRolePolicy", VENDOR_ROLE, WITH_BOUNDARY, "ExplicitlyDenied"],
    ["sts:AssumeRole", VENDOR_ROLE, {}, "Allowed"],
    ["sts:AssumeRole", OTHER_ROLE, {}, "ImplicitlyDenied"],
  ])("%s on %s %o is %s", async (action, resource, context, expected) => {
    expect(await evaluate(portalCall(action, resource, context))).toBe(expected);
  });

  test("a policy version of the boundary cannot be created", async () => {
    const result = await evaluate(portalCall("iam:CreatePolicyVersion", boundaryPolicyArn(INPUT)));

    expect(result).toBe("ExplicitlyDenied");
  });
});

describe("vendor role boundary", () => {
  const boundary = renderVendorRoleBoundary({
    accountId: ACCOUNT,
    exchange: [{ bucket: "exchange-bucket", prefixRoot: "vendor-uploads/" }],
    rds: [{ region: "eu-west-1", resourceId: "prx-0123abcd" }],
  });
  // An inline policy far broader than anything the portal renders: the boundary must still cap it.
  const tooBroad = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:*", "rds-db:connect", "iam:*"], Resource: "*" }] };
  const session = `arn:aws:sts::${ACCOUNT}:assumed-role/vap-acme/alex`;

  function vendorCall(action: string, resource: string, context: Record<string, string> = {}): Simulation {
    return {
      request: { principal: session, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
      identityPolicies: [{ name: "inline", policy: tooBroad }],
      permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };
  }

  test.each([
    ["s3:GetObject", "arn:aws:s3:::exchange-bucket/vendor-uploads/acme/a.csv", {}, "Allowed"],
    ["s3:PutObject", "arn:aws:s3:::exchange-bucket/vendor-uploads/acme/a.csv", {}, "Allowed"],
    ["s3:GetObject", "arn:aws:s3:::exchange-bucket/finance/q3.xlsx", {}, "ImplicitlyDenied"],
    ["s3:DeleteObject", "arn:aws:s3:::exchange-bucket/vendor-uploads/acme/a.csv", {}, "ImplicitlyDenied"],
    ["s3:GetObject", "arn:aws:s3:::other-bucket/vendor-uploads/acme/a.csv", {}, "ImplicitlyDenied"],
    ["s3:ListBucket", "arn:aws:s3:::exchange-bucket", { "s3:prefix": "vendor-uploads/acme/" }, "Allowed"],
    ["s3:ListBucket", "arn:aws:s3:::exchange-bucket", { "s3:prefix": "finance/" }, "ImplicitlyDenied"],
    ["rds-db:connect", `arn:aws:rds-db:eu-west-1:${ACCOUNT}:dbuser:prx-0123abcd/vendor_read`, {}, "Allowed"],
    ["rds-db:connect", `arn:aws:rds-db:eu-west-1:${ACCOUNT}:dbuser:prx-99999999/admin`, {}, "ImplicitlyDenied"],
    ["iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/backdoor`, {}, "ImplicitlyDenied"],
  ])("%s on %s %o is %s", async (action, resource, context, expected) => {
    expect(await evaluate(vendorCall(action, resource, context))).toBe(expected);
  });
});

describe("policies in another partition", () => {
  const input = { ...INPUT, partition: "aws-us-gov" };
  const boundary = renderVendorRoleBoundary({
    accountId: ACCOUNT,
    partition: "aws-us-gov",
    exchange: [{ bucket: "exchange-bucket", prefixRoot: "vendor-uploads/" }],
    rds: [{ region: "us-gov-west-1", resourceId: "prx-0123abcd" }],
  });

  test("identity policy uses the partition", () => {
    const arns = JSON.stringify(renderPortalIdentityPolicy(input)).match(/arn:[\w-]+:/g) ?? [];

    expect(arns.length).toBeGreaterThan(0);
    expect(new Set(arns)).toEqual(new Set(["arn:aws-us-gov:"]));
    expect(boundaryPolicyArn(input)).toBe(`arn:aws-us-gov:iam::${ACCOUNT}:policy/vendor-access/vendor-access-boundary`);
  });

  test("boundary uses the partition", () => {
    const arns = JSON.stringify(boundary).match(/arn:[\w-]+:/g) ?? [];

    expect(arns).toHaveLength(3);
    expect(new Set(arns)).toEqual(new Set(["arn:aws-us-gov:"]));
  });
});
