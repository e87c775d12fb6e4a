"use server";

import { revalidatePath } from "next/cache";

import { runAction, type ActionResult } from "@/lib/actions";
import { requireActor } from "@/lib/auth/session";
import { retryFailedNotification } from "@/lib/notifications/admin";

export async function retryNotificationAction(notificationId: string): Promise<ActionResult<null>> {
  return runAction("retryNotification", async () => {
    const actor = await requireActor(["ADMIN"]);
    await retryFailedNotification(actor, notificationId);
    revalidatePath("/admin/notifications");

    return null;
  });
}
