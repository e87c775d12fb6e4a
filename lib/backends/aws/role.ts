// Vendor roles and grants in the form the AWS provider uses. Pure: no I/O.

import { z } from "zod";

import type { RoleGrant } from "@/lib/backends/aws/policies/types";
import { findPrefixTemplateProblem, renderPrefix } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";

import { S3_LEVEL_ACTIONS, ZRdsIamConfig, ZS3PrefixConfig, type RdsIamConfig, type S3Level, type S3PrefixConfig, type VendorRoleConfig } from "./config";

/** IAM role names: 1 to 64 characters of letters, digits and `+=,.@_-`. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** One vendor IAM role, rendered from a resource's role config and the vendor's slug. */
export type VendorRole = {
  partition: string;
  accountId: string;
  roleName: string;
  rolePath: string;
  roleArn: string;
  /**
   * Key of the PostgreSQL advisory lock that serializes writes to this role. IAM role names are unique
   * in an account regardless of case and path, so the key is the lower-case name in its account.
   */
  lockKey: string;
  /** The role's MaxSessionDuration, in seconds, as the resource config states it. */
  maxSessionSeconds: number;
};

export type AwsResourceConfig = { kind: "S3_PREFIX"; config: S3PrefixConfig } | { kind: "RDS_IAM"; config: RdsIamConfig };

/** Returns the AWS partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws otherwise. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";

  return "aws";
}

/** Renders the vendor's role from a resource's role config. Throws AppError MISCONFIGURED for a name IAM would reject. */
export function renderVendorRole(roleConfig: VendorRoleConfig, vendorSlug: string, region: string): VendorRole {
  const roleName = roleConfig.roleNameTemplate.replaceAll("{vendor}", vendorSlug);
  if (!ROLE_NAME.test(roleName)) {
    throw new AppError(
      "MISCONFIGURED",
      `The IAM role name "${roleName}" for vendor ${vendorSlug} is invalid: role names are 1 to 64 letters, digits and +=,.@_- characters. Shorten roleNameTemplate in the resource config.`,
    );
  }
  const partition = partitionOfRegion(region);

  return {
    partition,
    accountId: roleConfig.accountId,
    roleName,
    rolePath: roleConfig.rolePath,
    roleArn: `arn:${partition}:iam::${roleConfig.accountId}:role${roleConfig.rolePath}${roleName}`,
    lockKey: `iam-role:${partition}:${roleConfig.accountId}:${roleName.toLowerCase()}`,
    maxSessionSeconds: roleConfig.maxSessionSeconds,
  };
}

/** Parses the stored config of an S3_PREFIX or RDS_IAM resource. Throws AppError MISCONFIGURED naming every invalid field. */
export function parseAwsResourceConfig(resource: { slug: string; kind: string; config: unknown }): AwsResourceConfig {
  if (resource.kind === "S3_PREFIX") return { kind: "S3_PREFIX", config: parseOrThrow(ZS3PrefixConfig, resource) };
  if (resource.kind === "RDS_IAM") return { kind: "RDS_IAM", config: parseOrThrow(ZRdsIamConfig, resource) };

  throw new AppError("MISCONFIGURED", `Resource ${resource.slug} is of kind ${resource.kind}, which the AWS provider does not handle.`);
}

function parseOrThrow<T>(schema: z.ZodType<T>, resource: { slug: string; kind: string; config: unknown }): T {
  const result = schema.safeParse(resource.config);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`);

  throw new AppError("MISCONFIGURED", `The config of ${resource.kind} resource ${resource.slug} is invalid. Fix it in the resource settings: ${problems.join("; ")}`, {
    cause: result.error,
  });
}

/** Renders the role that a resource's grants for this vendor go to. */
export function vendorRoleOf(parsed: AwsResourceConfig, vendorSlug: string): VendorRole {
  return renderVendorRole(parsed.config.role, vendorSlug, parsed.config.region);
}

export function isS3Level(level: string): level is S3Level {
  return Object.hasOwn(S3_LEVEL_ACTIONS, level);
}

/** Converts a stored grant into the renderers' input. Throws AppError MISCONFIGURED for an S3 access level the renderers do not know. */
export function toRoleGrant(
  grant: { id: string; startsAt: Date; endsAt: Date; accessLevel: string },
  parsed: AwsResourceConfig,
  vendorSlug: string,
): RoleGrant {
  if (parsed.kind === "RDS_IAM") {
    const { config } = parsed;

    return {
      kind: "RDS_IAM",
      grantId: grant.id,
      partition: partitionOfRegion(config.region),
      startsAt: grant.startsAt,
      endsAt: grant.endsAt,
      region: config.region,
      accountId: config.role.accountId,
      resourceId: config.resourceId,
      dbUser: config.dbUser,
    };
  }

  const { config } = parsed;
  if (!isS3Level(grant.accessLevel)) {
    throw new AppError(
      "MISCONFIGURED",
      `Grant ${grant.id} has the access level "${grant.accessLevel}", which S3_PREFIX resources do not offer. Use one of: ${Object.keys(S3_LEVEL_ACTIONS).join(", ")}.`,
    );
  }

  return {
    kind: "S3_PREFIX",
    grantId: grant.id,
    partition: partitionOfRegion(config.region),
    startsAt: grant.startsAt,
    endsAt: grant.endsAt,
    level: grant.accessLevel,
    bucket: config.bucket,
    prefix: renderVendorPrefix(config, vendorSlug),
    encryption: config.encryption,
    ...(config.requiredVpcEndpointId ? { requiredVpcEndpointId: config.requiredVpcEndpointId } : {}),
  };
}

/** Renders the vendor's S3 prefix. Throws AppError MISCONFIGURED for a prefix template that is invalid. */
export function renderVendorPrefix(config: S3PrefixConfig, vendorSlug: string): string {
  const problem = findPrefixTemplateProblem(config.prefixTemplate);
  if (problem) {
    throw new AppError("MISCONFIGURED", `The S3_PREFIX resource config is invalid. Fix prefixTemplate in the resource settings: ${problem}`);
  }

  return renderPrefix(config.prefixTemplate, vendorSlug);
}
