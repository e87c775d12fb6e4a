import "server-only";

import { z } from "zod";

import { db } from "@/lib/db";

import { REPAIRED_ACTION } from "./report";

const UNKNOWN_REPAIR = { target: "unknown", subject: "unknown", repair: "unknown", differences: [] };

const ZRepairData = z
  .object({
    target: z.string().catch(UNKNOWN_REPAIR.target),
    subject: z.string().catch(UNKNOWN_REPAIR.subject),
    repair: z.string().catch(UNKNOWN_REPAIR.repair),
    differences: z.array(z.string()).catch([]),
  })
  .catch(UNKNOWN_REPAIR);

/** Lists the latest `reconcile.repaired` audit events, newest first, with the fields a list shows. */
export async function listRecentRepairs(limit = 20) {
  const events = await db.auditEvent.findMany({
    where: { action: REPAIRED_ACTION },
    orderBy: { seq: "desc" },
    take: limit,
    select: { seq: true, at: true, actorLabel: true, grantId: true, data: true },
  });

  return events.map((event) => ({
    seq: String(event.seq),
    at: event.at,
    actorLabel: event.actorLabel,
    grantId: event.grantId,
    ...ZRepairData.parse(event.data),
  }));
}
