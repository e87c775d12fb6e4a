import { z } from "zod";

const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1");

/**
 * The vendor's IAM role: one per vendor, named from a template with `{vendor}` replaced by the
 * vendor's slug, under a dedicated path that the portal's own identity is limited to.
 */
export const ZVendorRoleConfig = z
  .object({
    accountId,
    roleNameTemplate: z
      .string()
      .regex(/^[\w+=,.@{}-]{1,64}$/, "must be a valid IAM role name, with {vendor} for the vendor's slug")
      .refine((value) => value.includes("{vendor}"), "must contain {vendor}"),
    rolePath: z
      .string()
      .regex(/^\/([\w+=,.@-]+\/)+$/, "must be an IAM path such as /vendor-access/")
      .default("/vendor-access/"),
    /** The role's MaxSessionDuration in seconds (3,600 to 43,200); STS sessions never exceed it. */
    maxSessionSeconds: z.number().int().min(3600).max(43_200).default(3600),
  })
  .strict();
export type VendorRoleConfig = z.infer<typeof ZVendorRoleConfig>;

export const S3_LEVEL_ACTIONS = {
  read: ["s3:GetObject"],
  upload: ["s3:PutObject"],
  "read-write": ["s3:GetObject", "s3:PutObject"],
} as const;
export type S3Level = keyof typeof S3_LEVEL_ACTIONS;

export const ZS3PrefixConfig = z
  .object({
    region,
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
    prefixTemplate: z.string().min(1),
    encryption: z.discriminatedUnion("type", [
      z.object({ type: z.literal("AES256") }).strict(),
      z
        .object({
          type: z.literal("aws:kms"),
          kmsKeyArn: z.string().regex(/^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, "must be a KMS key ARN"),
        })
        .strict(),
    ]),
    /** When set, every S3 action must come through this VPC endpoint (aws:SourceVpce). */
    requiredVpcEndpointId: z.string().regex(/^vpce-[0-9a-f]{8,17}$/, "must be a VPC endpoint id such as vpce-0a1b2c3d").optional(),
    role: ZVendorRoleConfig,
  })
  .strict();
export type S3PrefixConfig = z.infer<typeof ZS3PrefixConfig>;

export const ZRdsIamConfig = z
  .object({
    region,
    /** RDS Proxy (or instance) endpoint that vendors connect to. */
    endpoint: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535).default(5432),
    /** Resource id of the proxy (prx-…) or instance (db-…), as used in rds-db:connect ARNs. */
    resourceId: z.string().regex(/^(prx|db|cluster)-[A-Za-z0-9]+$/, "must be a proxy or DB resource id such as prx-0123abcd"),
    database: z.string().min(1).max(63),
    dbUser: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a database user name"),
    /** Where vendors find the CA bundle that sslmode=verify-full checks against. */
    caBundleUrl: z.url().default("https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"),
    role: ZVendorRoleConfig,
  })
  .strict();
export type RdsIamConfig = z.infer<typeof ZRdsIamConfig>;
