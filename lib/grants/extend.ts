import "server-only";

import { backendFor } from "@/lib/backends/registry";
import { setLoginValidUntil } from "@/lib/backends/postgres-login";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { db } from "@/lib/db";
import { log } from "@/lib/log";

/**
 * Brings the target in line with a grant's new end after an extension: the PostgreSQL login's
 * VALID UNTIL moves (its password stays), and other backends re-render their whole state.
 * The old end stays in force at the target until this succeeds, so a failure fails closed.
 */
export async function renderGrantEnd(grantId: string): Promise<"rendered" | "not-live"> {
  const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId }, include: { resource: true, vendor: true } });
  if (grant.status !== "ACTIVE" || grant.endsAt <= new Date()) return "not-live";

  if (grant.resource.kind === "POSTGRES") {
    if (!grant.targetName) return "not-live";
    const config = ZPostgresLoginConfig.parse(grant.resource.config);
    await setLoginValidUntil({ config, roleName: grant.targetName, endsAt: grant.endsAt });
  } else {
    const { resource, vendor, ...rest } = grant;
    await backendFor(resource).activate({ grant: rest, resource, vendor });
  }
  log.info({ grantId, endsAt: grant.endsAt.toISOString() }, "grant end rendered at target");

  return "rendered";
}
