import type { PortalConfig } from "@/lib/config/schema";

/** Shared password of the demo users. Demo data is only ever seeded by the local launcher. */
export const DEMO_PASSWORD = "demo-password-2026";

export const DEMO_USERS = [
  { email: "alex@acme-logistics.example", role: "VENDOR", vendor: "acme-logistics", name: "Alex Morgan", description: "vendor user at Acme Logistics" },
  { email: "sam@northwind-analytics.example", role: "VENDOR", vendor: "northwind-analytics", name: "Sam Lee", description: "vendor user at Northwind Analytics" },
  { email: "approver@portal.example", role: "APPROVER", name: "Priya Shah", description: "approver" },
  { email: "approver2@portal.example", role: "APPROVER", name: "Jordan Kim", description: "second approver" },
  { email: "admin@portal.example", role: "ADMIN", name: "Robin Admin", description: "admin" },
] as const;

/**
 * The AWS account that the browser tests' fake AWS endpoint (fake-aws-server.ts) pretends to be.
 * Only the e2e stack uses it; `npm run dev` has no AWS resources.
 */
export const FAKE_AWS = {
  accountId: "111122223333",
  region: "eu-west-1",
  /** Acme Logistics' own AWS account, which may assume its role during a grant. */
  acmeAccountId: "444455556666",
  callerArn: "arn:aws:sts::111122223333:assumed-role/vendor-access-portal/e2e",
  portalPrincipalArn: "arn:aws:iam::111122223333:role/vendor-access-portal",
  rolePath: "/vendor-access/",
  roleNameTemplate: "vap-{vendor}",
  maxSessionSeconds: 3600,
  /** Read-only JSON view of the fake's roles and recorded calls. */
  statePath: "/__fake-aws/state",
} as const;

const FAKE_AWS_ROLE = {
  accountId: FAKE_AWS.accountId,
  roleNameTemplate: FAKE_AWS.roleNameTemplate,
  rolePath: FAKE_AWS.rolePath,
  maxSessionSeconds: FAKE_AWS.maxSessionSeconds,
};

/** Resources on the fake AWS account, offered to Acme Logistics only. */
function fakeAwsResources(): NonNullable<PortalConfig["resources"]> {
  return [
    {
      slug: "aws-file-exchange",
      name: "AWS file exchange",
      description: "Your organisation's prefix in the AWS exchange bucket, through an IAM role.",
      kind: "S3_PREFIX",
      config: {
        region: FAKE_AWS.region,
        bucket: "vendor-exchange-e2e",
        prefixTemplate: "vendor-uploads/{vendor}/",
        encryption: { type: "AES256" },
        role: FAKE_AWS_ROLE,
      },
      accessLevels: ["read", "upload", "read-write"],
      maxDurationMinutes: 8 * 60,
      requiredApprovals: 1,
      vendors: ["acme-logistics"],
    },
    {
      slug: "aws-warehouse",
      name: "Warehouse through RDS IAM",
      description: "The reporting replica through RDS Proxy, with IAM database authentication.",
      kind: "RDS_IAM",
      config: {
        region: FAKE_AWS.region,
        // .invalid never resolves, so nothing can connect to it by accident.
        endpoint: "warehouse-proxy.e2e.invalid",
        port: 5432,
        resourceId: "prx-0e2e0e2e",
        database: "warehouse",
        dbUser: "vendor_readonly",
        role: FAKE_AWS_ROLE,
      },
      accessLevels: ["read"],
      maxDurationMinutes: 8 * 60,
      requiredApprovals: 1,
      vendors: ["acme-logistics"],
    },
  ];
}

/** Returns the demo data. With `fakeAws` it also contains the browser tests' AWS resources and Acme's AWS account. */
export function demoPortalConfig(options: { postgresHost: string; warehousePort: string; fakeAws?: boolean }): PortalConfig {
  const fakeAws = options.fakeAws ?? false;

  return {
    vendors: [
      { slug: "acme-logistics", name: "Acme Logistics", ...(fakeAws ? { awsAccountId: FAKE_AWS.acmeAccountId } : {}) },
      { slug: "northwind-analytics", name: "Northwind Analytics" },
    ],
    users: DEMO_USERS.map((user) => ({
      email: user.email,
      name: user.name,
      role: user.role,
      vendor: "vendor" in user ? user.vendor : undefined,
      initialPassword: DEMO_PASSWORD,
    })),
    resources: [
      {
        slug: "warehouse-db",
        name: "Warehouse database (read-only)",
        description: "Shipments, carriers and invoices. Read-only access to the reporting replica.",
        kind: "POSTGRES",
        config: {
          host: options.postgresHost,
          port: Number(options.warehousePort),
          database: "warehouse",
          groupRole: "warehouse_readonly",
          managementUrlSetting: "WAREHOUSE_MANAGEMENT_URL",
          sslMode: "disable",
        },
        accessLevels: ["read"],
        maxDurationMinutes: 8 * 60,
        requiredApprovals: 1,
        vendors: ["acme-logistics", "northwind-analytics"],
      },
      {
        slug: "billing-db",
        name: "Billing database (two approvals)",
        description: "Invoices and payment runs. Every request needs two approvers.",
        kind: "POSTGRES",
        config: {
          host: options.postgresHost,
          port: Number(options.warehousePort),
          database: "warehouse",
          groupRole: "warehouse_readonly",
          managementUrlSetting: "WAREHOUSE_MANAGEMENT_URL",
          sslMode: "disable",
        },
        accessLevels: ["read"],
        maxDurationMinutes: 4 * 60,
        requiredApprovals: 2,
        vendors: ["acme-logistics"],
      },
      {
        slug: "file-exchange",
        name: "File exchange",
        description: "Your organisation's folder in the S3 exchange bucket.",
        kind: "S3_PRESIGN",
        config: {
          bucket: "vendor-exchange",
          prefixTemplate: "vendor-uploads/{vendor}/",
          serverSideEncryption: "AES256",
        },
        accessLevels: ["read", "upload", "read-write"],
        maxDurationMinutes: 24 * 60,
        requiredApprovals: 1,
        vendors: ["acme-logistics", "northwind-analytics"],
      },
      ...(fakeAws ? fakeAwsResources() : []),
    ],
  };
}
