import "server-only";

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";

import { parse as parseYaml } from "yaml";
import type { z } from "zod";

import { recordAudit } from "@/lib/audit";
import { hashPassword } from "@/lib/auth/password";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { ZS3PresignConfig } from "@/lib/backends/s3-presign";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";

import { ZPortalConfig, type PortalConfig } from "./schema";

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

/** A new vendor's ExternalId: 48 URL-safe characters from a CSPRNG. */
export function generateExternalId(): string {
  return randomBytes(36).toString("base64url");
}

export type ApplySummary = { vendors: number; users: number; resources: number; created: string[] };

/** Creates or updates everything the config names, in one transaction. Running it twice changes nothing. */
export async function applyPortalConfig(
  input: PortalConfig,
  options: { source: string; actorLabel: string },
): Promise<ApplySummary> {
  const config = validatePortalConfig(options.source, input);
  const passwordHashes = new Map<string, string>();
  for (const user of config.users) {
    if (user.initialPassword) passwordHashes.set(user.email, await hashPassword(user.initialPassword));
  }

  return db.$transaction(
    async (tx) => {
      const created: string[] = [];
      const vendorIds = new Map<string, string>();

      for (const vendor of config.vendors) {
        const existing = await tx.vendor.findUnique({ where: { slug: vendor.slug } });
        const saved = existing
          ? await tx.vendor.update({
              where: { id: existing.id },
              data: { name: vendor.name, awsAccountId: vendor.awsAccountId ?? null },
            })
          : await tx.vendor.create({
              data: { slug: vendor.slug, name: vendor.name, awsAccountId: vendor.awsAccountId ?? null, externalId: generateExternalId() },
            });
        if (!existing) created.push(`vendor ${vendor.slug}`);
        vendorIds.set(vendor.slug, saved.id);
      }

      for (const user of config.users) {
        const vendorId = user.vendor ? vendorIds.get(user.vendor)! : null;
        const existing = await tx.user.findUnique({ where: { email: user.email } });
        const disabledAt = user.disabled ? (existing?.disabledAt ?? new Date()) : null;
        if (existing) {
          await tx.user.update({ where: { id: existing.id }, data: { name: user.name, role: user.role, vendorId, disabledAt } });
        } else {
          // Without an initial password the account exists but cannot sign in until one is set.
          const passwordHash = passwordHashes.get(user.email) ?? "!";
          await tx.user.create({ data: { email: user.email, name: user.name, role: user.role, vendorId, passwordHash, disabledAt } });
          created.push(`user ${user.email}`);
        }
      }

      const userIds = new Map<string, string>();
      for (const user of await tx.user.findMany({ where: { email: { in: config.users.map((user) => user.email) } }, select: { id: true, email: true } })) {
        userIds.set(user.email, user.id);
      }
      const groupIds = new Map<string, string>();
      for (const group of config.approverGroups) {
        const saved = await tx.approverGroup.upsert({ where: { slug: group.slug }, create: { slug: group.slug, name: group.name }, update: { name: group.name } });
        groupIds.set(group.slug, saved.id);
        const memberIds = group.members.map((email) => userIds.get(email)!);
        await tx.approverGroupMember.deleteMany({ where: { groupId: saved.id, userId: { notIn: memberIds } } });
        await tx.approverGroupMember.createMany({ data: memberIds.map((userId) => ({ groupId: saved.id, userId })), skipDuplicates: true });
      }

      for (const resource of config.resources) {
        const data = {
          name: resource.name,
          description: resource.description,
          kind: resource.kind,
          config: resource.config as Prisma.InputJsonValue,
          accessLevels: resource.accessLevels,
          maxDurationMinutes: resource.maxDurationMinutes,
          requiredApprovals: resource.requiredApprovals,
          autoApproveLevels: resource.autoApprove?.levels ?? [],
          autoApproveMaxMinutes: resource.autoApprove?.maxMinutes ?? null,
        };
        const saved = await tx.resource.upsert({ where: { slug: resource.slug }, create: { slug: resource.slug, ...data }, update: data });
        const approverIds = resource.approvers.users.map((email) => userIds.get(email)!);
        await tx.resourceApprover.deleteMany({ where: { resourceId: saved.id, userId: { notIn: approverIds } } });
        await tx.resourceApprover.createMany({ data: approverIds.map((userId) => ({ resourceId: saved.id, userId })), skipDuplicates: true });
        const approverGroupIds = resource.approvers.groups.map((slug) => groupIds.get(slug)!);
        await tx.resourceApproverGroup.deleteMany({ where: { resourceId: saved.id, groupId: { notIn: approverGroupIds } } });
        await tx.resourceApproverGroup.createMany({ data: approverGroupIds.map((groupId) => ({ resourceId: saved.id, groupId })), skipDuplicates: true });

        const offeredTo = resource.vendors.map((slug) => vendorIds.get(slug)!);
        await tx.vendorResource.deleteMany({ where: { resourceId: saved.id, vendorId: { notIn: offeredTo } } });
        await tx.vendorResource.createMany({
          data: offeredTo.map((vendorId) => ({ vendorId, resourceId: saved.id })),
          skipDuplicates: true,
        });
      }

      const summary = { vendors: config.vendors.length, users: config.users.length, resources: config.resources.length, created };
      await recordAudit(tx, {
        actor: { id: null, label: options.actorLabel },
        action: "config.applied",
        subjectType: "resource",
        subjectId: options.source,
        data: summary,
      });

      return summary;
    },
    { timeout: 60_000 },
  );
}
