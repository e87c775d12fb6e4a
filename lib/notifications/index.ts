import "server-only";

import type { AuditInput } from "@/lib/audit";
import type { Tx } from "@/lib/db";

/**
 * Called by recordAudit for every audit event, inside its transaction: turns the event into the
 * notifications it implies (stored, then sent by a job).
 * TODO: map events to recipients and messages; until then no notification is created.
 */
export async function enqueueNotifications(tx: Tx, event: AuditInput): Promise<void> {
  void tx;
  void event;
}
