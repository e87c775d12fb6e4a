import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { Actor } from "@/lib/auth/session";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";

import { authenticateApiToken, createApiToken, hashApiToken, listApiTokens, revokeApiToken } from "./service";

const suffix = randomBytes(4).toString("hex");
let owner: Actor;
let other: Actor;

beforeAll(async () => {
  await applyPortalConfig(
    {
      vendors: [{ slug: `tok-${suffix}`, name: "Token vendor" }],
      users: [
        { email: `owner-${suffix}@tokens.example`, name: "Owner", role: "VENDOR", vendor: `tok-${suffix}`, initialPassword: "a-long-password-1" },
        { email: `other-${suffix}@tokens.example`, name: "Other", role: "VENDOR", vendor: `tok-${suffix}`, initialPassword: "a-long-password-2" },
      ],
    },
    { source: "token test", actorLabel: "system:test" },
  );
  const load = async (email: string): Promise<Actor> => {
    const user = await db.user.findUniqueOrThrow({ where: { email } });

    return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: "Token vendor" };
  };
  owner = await load(`owner-${suffix}@tokens.example`);
  other = await load(`other-${suffix}@tokens.example`);
});

afterAll(async () => {
  await db.$disconnect();
});

describe("API tokens", () => {
  test("a new token authenticates its owner and only its hash is stored", async () => {
    const created = await createApiToken(owner, { name: "laptop", expiresInDays: 30 });

    expect(created.token).toMatch(/^vap_[A-Za-z0-9_-]{43}$/);
    const stored = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.tokenHash).toBe(hashApiToken(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);
    expect((await authenticateApiToken(created.token))?.id).toBe(owner.id);
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
  });

  test("revoked, expired, unknown and malformed tokens are rejected", async () => {
    const revoked = await createApiToken(owner, { name: "to revoke", expiresInDays: 1 });
    await revokeApiToken(owner, revoked.id);
    const expiring = await createApiToken(owner, { name: "short", expiresInDays: 1 });

    expect(await authenticateApiToken(revoked.token)).toBeNull();
    expect(await authenticateApiToken(expiring.token, new Date(expiring.expiresAt.getTime() + 1))).toBeNull();
    expect(await authenticateApiToken(`vap_${randomBytes(32).toString("base64url")}`)).toBeNull();
    expect(await authenticateApiToken("Bearer nonsense")).toBeNull();
  });

  test("a disabled user's token stops working", async () => {
    const created = await createApiToken(other, { name: "ci", expiresInDays: 5 });
    await db.user.update({ where: { id: other.id }, data: { disabledAt: new Date() } });

    expect(await authenticateApiToken(created.token)).toBeNull();
    await db.user.update({ where: { id: other.id }, data: { disabledAt: null } });
  });

  test("users see and revoke only their own tokens", async () => {
    const created = await createApiToken(owner, { name: "mine", expiresInDays: 2 });

    expect((await listApiTokens(other)).map((token) => token.id)).not.toContain(created.id);
    await expect(revokeApiToken(other, created.id)).rejects.toBeInstanceOf(AppError);
    expect(await authenticateApiToken(created.token)).not.toBeNull();
  });

  test.each([
    [{ name: "", expiresInDays: 5 }, "name"],
    [{ name: "x", expiresInDays: 0 }, "expiresInDays"],
    [{ name: "x", expiresInDays: 91 }, "expiresInDays"],
    [{ name: "x", expiresInDays: 1.5 }, "expiresInDays"],
  ])("input %o is rejected on %s", async (input, field) => {
    const error = await createApiToken(owner, input).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).fieldErrors?.[field]).toBeDefined();
  });
});
