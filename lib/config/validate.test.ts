import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigError, loadPortalConfigFile, validatePortalConfig } from "./validate";

const VALID = {
  vendors: [{ slug: "acme", name: "Acme" }],
  users: [
    { email: "dana@acme.example", name: "Dana", role: "VENDOR", vendor: "acme" },
    { email: "ops@corp.example", name: "Ops", role: "APPROVER" },
  ],
  resources: [
    {
      slug: "exchange",
      name: "Exchange",
      kind: "S3_PRESIGN",
      config: { bucket: "exchange-bucket", prefixTemplate: "vendor-uploads/{vendor}/" },
      accessLevels: ["read", "upload"],
      maxDurationMinutes: 120,
      vendors: ["acme"],
    },
  ],
};

function problemsOf(document: unknown): string[] {
  try {
    validatePortalConfig("portal.yaml", document);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }

  return [];
}

function withResource(overrides: Record<string, unknown>) {
  return { ...VALID, resources: [{ ...VALID.resources[0], ...overrides }] };
}

describe("validatePortalConfig", () => {
  test("accepts a valid document", () => {
    expect(problemsOf(VALID)).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ["unknown vendor on a user", { ...VALID, users: [{ email: "x@y.example", name: "X", role: "VENDOR", vendor: "nobody" }] }, 'users[0].vendor: no vendor with slug "nobody"'],
    ["vendor user without vendor", { ...VALID, users: [{ email: "x@y.example", name: "X", role: "VENDOR" }] }, "users[0].vendor: is required for VENDOR users"],
    ["approver with a vendor", { ...VALID, users: [{ email: "x@y.example", name: "X", role: "APPROVER", vendor: "acme" }] }, "users[0].vendor: must be empty"],
    ["bad email", { ...VALID, users: [{ email: "not-an-email", name: "X", role: "APPROVER" }] }, "users[0].email: must be an email address"],
    ["duplicate vendor", { ...VALID, vendors: [VALID.vendors[0], VALID.vendors[0]] }, 'vendors[1]: duplicates "acme"'],
    ["bad slug", { ...VALID, vendors: [{ slug: "Acme Corp", name: "A" }] }, "vendors[0].slug: must be 1-40 lower-case"],
    ["unknown resource vendor", withResource({ vendors: ["ghost"] }), 'resources[0].vendors[0]: no vendor with slug "ghost"'],
    ["bad kind config", withResource({ config: { bucket: "exchange-bucket", prefixTemplate: "no-placeholder/" } }), "resources[0].config.prefixTemplate"],
    ["too many approvals for named approvers", withResource({ requiredApprovals: 2, approvers: { users: ["ops@corp.example"], groups: [] } }), "resources[0].requiredApprovals: 2 approvals are required but only 1 people may approve"],
    ["vendor as approver", withResource({ approvers: { users: ["dana@acme.example"], groups: [] } }), 'resources[0].approvers.users[0]: "dana@acme.example" is not an APPROVER or ADMIN user'],
    ["auto-approve over the maximum", withResource({ autoApprove: { levels: ["read"], maxMinutes: 121 } }), "resources[0].autoApprove.maxMinutes: must not exceed maxDurationMinutes (120)"],
    ["auto-approve unknown level", withResource({ autoApprove: { levels: ["admin"], maxMinutes: 60 } }), 'resources[0].autoApprove.levels[0]: "admin" is not one of accessLevels'],
    ["unsupported kind", withResource({ kind: "FTP" }), "resources[0].kind"],
  ])("%s", (_name, document, expected) => {
    const problems = problemsOf(document);

    expect(problems.some((problem) => problem.includes(expected)), `problems were:\n${problems.join("\n")}`).toBe(true);
  });

  test("an error names the file", () => {
    expect(() => validatePortalConfig("portal.yaml", { vendors: [{ slug: "" }] })).toThrow(/^portal\.yaml is invalid:/);
  });
});

describe("loadPortalConfigFile", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vap-config-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads YAML", async () => {
    const file = path.join(dir, "good.yaml");
    await writeFile(file, "vendors:\n  - slug: acme\n    name: Acme\n");

    const config = await loadPortalConfigFile(file);
    expect(config.vendors[0]?.slug).toBe("acme");
  });

  test("reads JSON", async () => {
    const file = path.join(dir, "good.json");
    await writeFile(file, JSON.stringify(VALID));

    const config = await loadPortalConfigFile(file);
    expect(config.resources).toHaveLength(1);
  });

  test("reports invalid YAML with the file name", async () => {
    const file = path.join(dir, "broken.yaml");
    await writeFile(file, "vendors:\n  - slug: acme\n   name: [unclosed\n");

    await expect(loadPortalConfigFile(file)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is invalid:\\n  is not valid YAML or JSON`));
  });

  test("reports a missing file", async () => {
    await expect(loadPortalConfigFile(path.join(dir, "missing.yaml"))).rejects.toThrow(/cannot be read: ENOENT/);
  });
});

describe("shipped example files", () => {
  test.each(["examples/portal-config.yaml", "examples/aws-config.yaml"])("%s is valid", async (file) => {
    const config = await loadPortalConfigFile(path.resolve(file));

    expect(config.resources.length).toBeGreaterThan(0);
  });
});
