"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";

import { runAction, type ActionResult } from "@/lib/actions";
import { userActor } from "@/lib/audit";
import { requireActor } from "@/lib/auth/session";
import { retryFailedGrant, type RetryResult } from "@/lib/grants/retry";
import { logReconcileSummary, reconcileAll, type ReconcileSummary } from "@/lib/reconcile";
import { parseInput } from "@/lib/zod-errors";

const ZGrantId = z.string().trim().min(1, "Choose a grant.").max(100);

export async function retryFailedGrantAction(grantId: string): Promise<ActionResult<RetryResult>> {
  return runAction("retryFailedGrant", async () => {
    const actor = await requireActor(["ADMIN"]);
    const result = await retryFailedGrant(actor, parseInput(ZGrantId, grantId));
    revalidatePath("/admin/grants");

    return result;
  });
}

export async function reconcileNowAction(): Promise<ActionResult<ReconcileSummary>> {
  return runAction("reconcileNow", async () => {
    const actor = await requireActor(["ADMIN"]);
    const summary = await reconcileAll({ actor: userActor(actor) });
    logReconcileSummary(summary);
    revalidatePath("/admin/grants");

    return summary;
  });
}
