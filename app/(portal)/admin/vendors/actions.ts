"use server";

import { revalidatePath } from "next/cache";

import { runAction, type ActionResult } from "@/lib/actions";
import { requireActor } from "@/lib/auth/session";
import { rotateExternalId } from "@/lib/vendors/service";

export async function rotateExternalIdAction(vendorId: string): Promise<ActionResult<null>> {
  return runAction("rotateExternalId", async () => {
    const actor = await requireActor(["ADMIN"]);
    await rotateExternalId(actor, vendorId);
    revalidatePath("/admin/vendors");

    return null;
  });
}
