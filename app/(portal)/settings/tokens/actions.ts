"use server";

import { revalidatePath } from "next/cache";

import { runAction, type ActionResult } from "@/lib/actions";
import { requireActor } from "@/lib/auth/session";
import { createApiToken, revokeApiToken, type CreateApiTokenInput } from "@/lib/tokens/service";

export async function createApiTokenAction(input: CreateApiTokenInput): Promise<ActionResult<{ token: string; expiresAt: string }>> {
  return runAction("createApiToken", async () => {
    const actor = await requireActor(["VENDOR", "APPROVER", "ADMIN"]);
    const created = await createApiToken(actor, input);
    revalidatePath("/settings/tokens");

    return { token: created.token, expiresAt: created.expiresAt.toISOString() };
  });
}

export async function revokeApiTokenAction(tokenId: string): Promise<ActionResult<null>> {
  return runAction("revokeApiToken", async () => {
    const actor = await requireActor(["VENDOR", "APPROVER", "ADMIN"]);
    await revokeApiToken(actor, tokenId);
    revalidatePath("/settings/tokens");

    return null;
  });
}
