import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { generateExternalId } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";
import { reconcileAll } from "@/lib/reconcile";

function assertAdmin(actor: Actor) {
  if (actor.role !== "ADMIN") throw new AppError("NOT_FOUND", "Not found.");
}

/** Vendors with their AWS account and ExternalId, for admins. */
export async function listVendorsForAdmin(actor: Actor) {
  assertAdmin(actor);

  return db.vendor.findMany({
    orderBy: { name: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      awsAccountId: true,
      externalId: true,
      _count: { select: { users: true, grants: { where: { status: { in: ["SCHEDULED", "ACTIVE"] } } } } },
    },
  });
}

/**
 * Replaces a vendor's ExternalId and re-renders its IAM roles, whose trust policies carry it.
 * Sessions already issued keep working; new self-assumed sessions need the new value.
 */
export async function rotateExternalId(actor: Actor, vendorId: string) {
  assertAdmin(actor);
  await db.$transaction(async (tx) => {
    const vendor = await tx.vendor.findUnique({ where: { id: vendorId } });
    if (!vendor) throw new AppError("NOT_FOUND", "Vendor not found.");
    await tx.vendor.update({ where: { id: vendorId }, data: { externalId: generateExternalId() } });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "vendor.external_id_rotated",
      subjectType: "vendor",
      subjectId: vendorId,
      vendorId,
    });
  });

  // The reconciler writes every vendor role from the database, so the new ExternalId reaches IAM now.
  try {
    await reconcileAll({ actor: userActor(actor) });
  } catch (error) {
    log.warn({ vendorId, ...errorFields(error) }, "re-rendering roles after an ExternalId rotation failed; the next reconcile retries");
  }
}
