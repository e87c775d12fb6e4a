import "server-only";

import { randomBytes } from "node:crypto";

import { recordAudit } from "@/lib/audit";
import { hashPassword } from "@/lib/auth/password";
import { db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";

import type { PortalConfig } from "./schema";
import { validatePortalConfig } from "./validate";

export { ConfigError, loadPortalConfigFile, validatePortalConfig } from "./validate";

/** Generates a new vendor's ExternalId: 48 URL-safe characters from a CSPRNG. */
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
  // Only users created now get their initial password, so existing users' passwords are not hashed again.
  const existingEmails = new Set(
    (await db.user.findMany({ where: { email: { in: config.users.map((user) => user.email) } }, select: { email: true } })).map((user) => user.email),
  );
  const passwordHashes = new Map<string, string>();
  for (const user of config.users) {
    if (user.initialPassword && !existingEmails.has(user.email)) passwordHashes.set(user.email, await hashPassword(user.initialPassword));
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
