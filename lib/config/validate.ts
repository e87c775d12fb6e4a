import { readFile } from "node:fs/promises";

import { parse as parseYaml } from "yaml";
import type { z } from "zod";

import { ZRdsIamConfig, ZS3PrefixConfig } from "@/lib/backends/aws/config";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { ZS3PresignConfig } from "@/lib/backends/s3-presign/config";

import { ZPortalConfig } from "./schema";

/** Problems in a config file, each naming the path inside the file. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const KIND_CONFIG_SCHEMAS: Record<string, z.ZodType | undefined> = {
  POSTGRES: ZPostgresLoginConfig,
  S3_PRESIGN: ZS3PresignConfig,
  S3_PREFIX: ZS3PrefixConfig,
  RDS_IAM: ZRdsIamConfig,
};

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === "number") return `${text}[${segment}]`;

    return text ? `${text}.${String(segment)}` : String(segment);
  }, "");
}

/** Validates a parsed document, including references between vendors, users and resources. */
export function validatePortalConfig(source: string, document: unknown) {
  const parsed = ZPortalConfig.safeParse(document ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => `${formatPath(issue.path) || "(top level)"}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const problems: string[] = [];
  const vendorSlugs = new Set(config.vendors.map((vendor) => vendor.slug));

  const seen = (items: { key: string }[], label: string) => {
    const keys = new Set<string>();
    items.forEach(({ key }, index) => {
      if (keys.has(key)) problems.push(`${label}[${index}]: duplicates "${key}"`);
      keys.add(key);
    });
  };
  seen(config.vendors.map((vendor) => ({ key: vendor.slug })), "vendors");
  seen(config.users.map((user) => ({ key: user.email })), "users");
  seen(config.resources.map((resource) => ({ key: resource.slug })), "resources");

  config.users.forEach((user, index) => {
    if (user.vendor && !vendorSlugs.has(user.vendor)) {
      problems.push(`users[${index}].vendor: no vendor with slug "${user.vendor}" in this file`);
    }
  });
  const reviewers = new Set(config.users.filter((user) => user.role !== "VENDOR").map((user) => user.email));
  const groupSlugs = new Set(config.approverGroups.map((group) => group.slug));
  seen(config.approverGroups.map((group) => ({ key: group.slug })), "approverGroups");
  config.approverGroups.forEach((group, index) => {
    group.members.forEach((email, memberIndex) => {
      if (!reviewers.has(email)) problems.push(`approverGroups[${index}].members[${memberIndex}]: "${email}" is not an APPROVER or ADMIN user in this file`);
    });
  });
  config.resources.forEach((resource, index) => {
    resource.approvers.users.forEach((email, userIndex) => {
      if (!reviewers.has(email)) problems.push(`resources[${index}].approvers.users[${userIndex}]: "${email}" is not an APPROVER or ADMIN user in this file`);
    });
    resource.approvers.groups.forEach((group, groupIndex) => {
      if (!groupSlugs.has(group)) problems.push(`resources[${index}].approvers.groups[${groupIndex}]: no approver group with slug "${group}" in this file`);
    });
    const eligible = new Set([...resource.approvers.users]);
    for (const group of config.approverGroups.filter((candidate) => resource.approvers.groups.includes(candidate.slug))) {
      for (const member of group.members) eligible.add(member);
    }
    const restricted = resource.approvers.users.length + resource.approvers.groups.length > 0;
    if (restricted && eligible.size < resource.requiredApprovals) {
      problems.push(
        `resources[${index}].requiredApprovals: ${resource.requiredApprovals} approvals are required but only ${eligible.size} people may approve; name more approvers or lower the number`,
      );
    }
    if (resource.autoApprove) {
      resource.autoApprove.levels.forEach((level, levelIndex) => {
        if (!resource.accessLevels.includes(level)) problems.push(`resources[${index}].autoApprove.levels[${levelIndex}]: "${level}" is not one of accessLevels`);
      });
      if (resource.autoApprove.maxMinutes > resource.maxDurationMinutes) {
        problems.push(`resources[${index}].autoApprove.maxMinutes: must not exceed maxDurationMinutes (${resource.maxDurationMinutes})`);
      }
    }
    resource.vendors.forEach((slug, vendorIndex) => {
      if (!vendorSlugs.has(slug)) problems.push(`resources[${index}].vendors[${vendorIndex}]: no vendor with slug "${slug}" in this file`);
    });
    const schema = KIND_CONFIG_SCHEMAS[resource.kind];
    if (!schema) {
      problems.push(`resources[${index}].kind: ${resource.kind} is not supported by this version of the portal`);

      return;
    }
    const kindConfig = schema.safeParse(resource.config);
    if (!kindConfig.success) {
      for (const issue of kindConfig.error.issues) {
        problems.push(`resources[${index}].config.${formatPath(issue.path)}: ${issue.message}`);
      }
    }
  });

  if (problems.length > 0) throw new ConfigError(source, problems);

  return config;
}

export async function loadPortalConfigFile(file: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(file, [`is not valid YAML or JSON: ${(error as Error).message}`]);
  }

  return validatePortalConfig(file, document);
}
