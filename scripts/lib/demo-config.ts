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

export function demoPortalConfig(options: { postgresHost: string; warehousePort: string }): PortalConfig {
  return {
    vendors: [
      { slug: "acme-logistics", name: "Acme Logistics" },
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
    ],
  };
}
