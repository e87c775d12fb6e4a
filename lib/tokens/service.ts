import "server-only";

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

import { z } from "zod";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { parseInput } from "@/lib/zod-errors";

/** Tokens start with this, so secret scanners and people can recognise them. */
export const API_TOKEN_PREFIX = "vap_";
export const MAX_TOKEN_DAYS = 90;
const MAX_ACTIVE_TOKENS = 10;

export const ZCreateApiTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token, for example after the machine that uses it.").max(80, "Use 80 characters or fewer."),
  expiresInDays: z.coerce
    .number({ error: "Enter a number of days." })
    .int("Enter a whole number of days.")
    .min(1, "A token lasts at least 1 day.")
    .max(MAX_TOKEN_DAYS, `A token lasts at most ${MAX_TOKEN_DAYS} days.`),
});
export type CreateApiTokenInput = z.input<typeof ZCreateApiTokenInput>;

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates a token and returns it once; only its SHA-256 hash is stored. */
export async function createApiToken(actor: Actor, rawInput: CreateApiTokenInput, now = new Date()) {
  const input = parseInput(ZCreateApiTokenInput, rawInput);
  const active = await db.apiToken.count({ where: { userId: actor.id, revokedAt: null, expiresAt: { gt: now } } });
  if (active >= MAX_ACTIVE_TOKENS) {
    throw new AppError("CONFLICT", `You already have ${MAX_ACTIVE_TOKENS} active tokens. Revoke one you no longer use first.`);
  }

  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(now.getTime() + input.expiresInDays * 24 * 60 * 60 * 1000);

  const saved = await db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { userId: actor.id, name: input.name, tokenHash: hashApiToken(token), prefix: token.slice(0, 12), expiresAt },
    });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "api_token.created",
      subjectType: "user",
      subjectId: actor.id,
      vendorId: actor.vendorId,
      data: { tokenId: created.id, name: input.name, expiresAt: expiresAt.toISOString() },
    });

    return created;
  });

  return { token, id: saved.id, name: saved.name, expiresAt };
}

export async function listApiTokens(actor: Actor) {
  return db.apiToken.findMany({
    where: { userId: actor.id },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, expiresAt: true, revokedAt: true, lastUsedAt: true, createdAt: true },
  });
}

export async function revokeApiToken(actor: Actor, tokenId: string, now = new Date()) {
  await db.$transaction(async (tx) => {
    const { count } = await tx.apiToken.updateMany({ where: { id: tokenId, userId: actor.id, revokedAt: null }, data: { revokedAt: now } });
    if (count === 0) throw new AppError("NOT_FOUND", "Token not found, or already revoked.");
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "api_token.revoked",
      subjectType: "user",
      subjectId: actor.id,
      vendorId: actor.vendorId,
      data: { tokenId },
    });
  });
}

/**
 * Returns the actor a bearer token belongs to, or null for a malformed, unknown, revoked or
 * expired token, or a disabled user. The stored hash is looked up by value, then compared in
 * constant time as a second check.
 */
export async function authenticateApiToken(token: string, now = new Date()): Promise<Actor | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
  const tokenHash = hashApiToken(token);
  const saved = await db.apiToken.findUnique({ where: { tokenHash }, include: { user: { include: { vendor: true } } } });
  if (!saved || saved.revokedAt || saved.expiresAt <= now || saved.user.disabledAt) return null;
  if (!timingSafeEqual(Buffer.from(saved.tokenHash), Buffer.from(tokenHash))) return null;

  await db.apiToken.update({ where: { id: saved.id }, data: { lastUsedAt: now } });
  const { user } = saved;

  return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: user.vendor?.name ?? null };
}
