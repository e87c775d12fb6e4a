import { z } from "zod";

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "must be 1-40 lower-case letters, digits or hyphens, not starting or ending with a hyphen");

export const ZVendorConfig = z.object({
  slug,
  name: z.string().trim().min(1).max(120),
  awsAccountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id").optional(),
});

export const ZUserConfig = z
  .object({
    email: z.string().trim().toLowerCase().email("must be an email address"),
    name: z.string().trim().min(1).max(120),
    role: z.enum(["VENDOR", "APPROVER", "ADMIN"]),
    vendor: slug.optional(),
    // Set only when the user is created; never overwrites a password the user already has.
    initialPassword: z.string().min(12, "must be at least 12 characters").max(1024).optional(),
    disabled: z.boolean().default(false),
  })
  .superRefine((user, context) => {
    if (user.role === "VENDOR" && !user.vendor) {
      context.addIssue({ code: "custom", path: ["vendor"], message: "is required for VENDOR users" });
    }
    if (user.role !== "VENDOR" && user.vendor) {
      context.addIssue({ code: "custom", path: ["vendor"], message: "must be empty for APPROVER and ADMIN users" });
    }
  });

export const ZResourceConfig = z.object({
  slug,
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(""),
  kind: z.enum(["POSTGRES", "S3_PRESIGN", "S3_PREFIX", "RDS_IAM"]),
  // Validated against the kind's own schema by applyConfig.
  config: z.record(z.string(), z.unknown()),
  accessLevels: z.array(z.string().regex(/^[a-z][a-z-]{0,30}$/)).min(1),
  maxDurationMinutes: z.number().int().min(5).max(90 * 24 * 60),
  requiredApprovals: z.number().int().min(1).max(10).default(1),
  /** Who may approve: named users (APPROVER or ADMIN) and approver groups. Both empty: any approver or admin. */
  approvers: z
    .object({
      users: z.array(z.string().trim().toLowerCase().email("must be an email address")).default([]),
      groups: z.array(slug).default([]),
    })
    .default({ users: [], groups: [] }),
  /** Requests at one of these levels and no longer than maxMinutes are approved by this rule. */
  autoApprove: z
    .object({
      levels: z.array(z.string()).min(1),
      maxMinutes: z.number().int().min(5),
    })
    .optional(),
  vendors: z.array(slug).default([]),
});

export const ZApproverGroupConfig = z.object({
  slug,
  name: z.string().trim().min(1).max(120),
  members: z.array(z.string().trim().toLowerCase().email("must be an email address")).default([]),
});

export const ZPortalConfig = z.object({
  vendors: z.array(ZVendorConfig).default([]),
  users: z.array(ZUserConfig).default([]),
  approverGroups: z.array(ZApproverGroupConfig).default([]),
  resources: z.array(ZResourceConfig).default([]),
});
export type PortalConfig = z.input<typeof ZPortalConfig>;
