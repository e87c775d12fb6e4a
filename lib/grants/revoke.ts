import "server-only";

import { userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { parseInput } from "@/lib/zod-errors";
import { z } from "zod";

import { getGrantForActor } from "./access";
import { revokeGrant } from "./lifecycle";

export const ZRevokeGrantInput = z.object({
  grantId: z.string().trim().min(1),
  reason: z.string().trim().max(2000, "Shorten the reason to 2000 characters or fewer.").default(""),
});
export type RevokeGrantInput = z.input<typeof ZRevokeGrantInput>;

/**
 * Ends a live grant at once. Approvers and admins may revoke any grant, with a reason; the holder
 * may give up their own grant early.
 */
export async function revokeGrantAsActor(actor: Actor, rawInput: RevokeGrantInput, now = new Date()) {
  const input = parseInput(ZRevokeGrantInput, rawInput);
  const grant = await getGrantForActor(actor, input.grantId);
  const isReviewer = actor.role === "APPROVER" || actor.role === "ADMIN";
  if (!isReviewer && grant.holderId !== actor.id) {
    throw new AppError("FORBIDDEN", "Only the holder, an approver or an admin can end this grant.");
  }
  if (isReviewer && grant.holderId !== actor.id && input.reason.length < 3) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      fieldErrors: { reason: ["Say why the access is revoked; the vendor sees it."] },
    });
  }

  const reason = input.reason || "Given up early by the holder.";
  const outcome = await revokeGrant(grant.id, { actor: userActor(actor), reason, now });
  if (outcome !== "ended") {
    const current = await db.grant.findUniqueOrThrow({ where: { id: grant.id }, select: { status: true } });
    throw new AppError("INVALID_STATE", `This grant is already ${current.status.toLowerCase()}.`);
  }

  return { grantId: grant.id };
}
