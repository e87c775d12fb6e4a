import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { parseAwsResourceConfig, partitionOfRegion, renderVendorRole, toRoleGrant } from "./role";
import { RDS_CONFIG, ROLE_CONFIG, S3_CONFIG } from "./testing/fixtures";

const role = { ...ROLE_CONFIG };

describe("renderVendorRole", () => {
  test("renders name, path and ARN", () => {
    expect(renderVendorRole(role, "acme", "eu-west-1")).toEqual({
      partition: "aws",
      accountId: "111111111111",
      roleName: "vap-acme",
      rolePath: "/vendor-access/",
      roleArn: "arn:aws:iam::111111111111:role/vendor-access/vap-acme",
      lockKey: "iam-role:aws:111111111111:vap-acme",
      maxSessionSeconds: 3600,
    });
  });

  test("keys the lock by lower-case name, not path", () => {
    const upper = renderVendorRole({ ...role, roleNameTemplate: "VAP-{vendor}", rolePath: "/other/" }, "acme", "eu-west-1");

    expect(upper.lockKey).toBe(renderVendorRole(role, "acme", "eu-west-1").lockKey);
  });

  test.each([
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["us-iso-east-1", "aws-iso"],
    ["us-isob-east-1", "aws-iso-b"],
    ["eu-central-1", "aws"],
  ])("maps region %s to partition %s", (region, partition) => {
    expect(partitionOfRegion(region)).toBe(partition);
  });

  test("rejects a name over 64 characters", () => {
    const slug = "a".repeat(63);

    expect(() => renderVendorRole(role, slug, "eu-west-1")).toThrow(/role name "vap-a+" for vendor a+ is invalid/);
  });
});

describe("parseAwsResourceConfig", () => {
  test("fills in role defaults", () => {
    const parsed = parseAwsResourceConfig({ slug: "x", kind: "RDS_IAM", config: { ...RDS_CONFIG, role: { accountId: "111111111111", roleNameTemplate: "vap-{vendor}" } } });

    expect(parsed.config.role).toEqual({ accountId: "111111111111", roleNameTemplate: "vap-{vendor}", rolePath: "/vendor-access/", maxSessionSeconds: 3600 });
  });

  test("names every invalid field", () => {
    let caught: unknown;
    try {
      parseAwsResourceConfig({ slug: "exchange", kind: "S3_PREFIX", config: { ...S3_CONFIG, bucket: "X", region: "nowhere" } });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe("MISCONFIGURED");
    expect((caught as AppError).message).toContain("bucket:");
    expect((caught as AppError).message).toContain("region:");
  });

  test("rejects other kinds", () => {
    expect(() => parseAwsResourceConfig({ slug: "db", kind: "POSTGRES", config: {} })).toThrow("does not handle");
  });
});

describe("toRoleGrant", () => {
  const window = { startsAt: new Date("2026-03-01T12:00:00Z"), endsAt: new Date("2026-03-01T14:00:00Z") };

  test("renders the vendor's prefix", () => {
    const grant = toRoleGrant({ id: "g1", accessLevel: "upload", ...window }, parseAwsResourceConfig({ slug: "x", kind: "S3_PREFIX", config: S3_CONFIG }), "acme");

    expect(grant).toMatchObject({ kind: "S3_PREFIX", prefix: "vendor-uploads/acme/", level: "upload", bucket: "vendor-exchange" });
  });

  test.each([
    ["S3_PREFIX", S3_CONFIG, "upload"],
    ["RDS_IAM", RDS_CONFIG, "connect"],
  ] as const)("takes the %s partition from the region", (kind, config, accessLevel) => {
    const inChina = parseAwsResourceConfig({ slug: "x", kind, config: { ...config, region: "cn-north-1" } });
    const inIreland = parseAwsResourceConfig({ slug: "x", kind, config: { ...config, region: "eu-west-1" } });

    expect(toRoleGrant({ id: "g1", accessLevel, ...window }, inChina, "acme").partition).toBe("aws-cn");
    expect(toRoleGrant({ id: "g1", accessLevel, ...window }, inIreland, "acme").partition).toBe("aws");
  });

  test("rejects an invalid prefix template as a config error", () => {
    const parsed = parseAwsResourceConfig({ slug: "x", kind: "S3_PREFIX", config: { ...S3_CONFIG, prefixTemplate: "uploads/" } });

    expect(() => toRoleGrant({ id: "g1", accessLevel: "read", ...window }, parsed, "acme")).toThrow(/prefixTemplate/);
  });
});
