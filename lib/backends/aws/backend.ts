import "server-only";

import type { PolicyLimits } from "@/lib/backends/aws/policies";
import type { AccessBackend, GrantContext } from "@/lib/backends/registry";
import { AppError } from "@/lib/errors";

import { getAwsClients, type AwsClients } from "./clients";
import { resolvePortalPrincipalArn } from "./identity";
import { parseAwsResourceConfig, vendorRoleOf } from "./role";
import { syncVendorRole } from "./role-sync";

export type AwsRoleBackendOptions = {
  /** Defaults to the process-wide clients. */
  clients?: () => AwsClients;
  /** Defaults to AWS_PORTAL_PRINCIPAL_ARN, or the caller identity from STS. */
  portalPrincipalArn?: (clients: AwsClients) => Promise<string>;
  now?: () => Date;
  /** Size limits of the role's policies; the IAM defaults unless the account's trust policy quota was raised. */
  limits?: PolicyLimits;
};

/**
 * Creates the backend of S3_PREFIX and RDS_IAM resources. Both activation and deactivation re-render the
 * vendor role from every live grant in the database (see syncVendorRole). When the context carries
 * the caller's transaction, the role's advisory lock is held until the caller's status change
 * commits; see SyncVendorRoleInput.tx for why that matters.
 */
export function createAwsRoleBackend(options: AwsRoleBackendOptions = {}): AccessBackend {
  const clientsOf = options.clients ?? getAwsClients;
  const principalOf = options.portalPrincipalArn ?? resolvePortalPrincipalArn;
  const clock = options.now ?? (() => new Date());

  async function target({ resource, vendor }: GrantContext) {
    const parsed = parseAwsResourceConfig(resource);
    const clients = clientsOf();

    return { parsed, role: vendorRoleOf(parsed, vendor.slug), clients, portalPrincipalArn: await principalOf(clients) };
  }

  return {
    async activate(context) {
      const { role, clients, portalPrincipalArn } = await target(context);
      const result = await syncVendorRole({
        role,
        vendorId: context.vendor.id,
        portalPrincipalArn,
        now: clock(),
        tx: context.tx,
        activatingGrantId: context.grant.id,
        clients,
        limits: options.limits,
      });
      if (!result.liveGrantIds.includes(context.grant.id)) {
        throw new AppError("PROVISIONING_FAILED", `Grant ${context.grant.id} is not live on role ${role.roleName}, so it was not provisioned. Check the grant's window and status.`);
      }

      return { targetName: role.roleArn };
    },

    async deactivate(context) {
      const { parsed, role, clients, portalPrincipalArn } = await target(context);
      const now = clock();
      // Lifecycle ends a grant before its end only by revocation. Its sessions then get an explicit
      // deny as well; a grant ending on time has nothing left that its window allows.
      const endedEarly = context.grant.endsAt > now;
      const result = await syncVendorRole({
        role,
        vendorId: context.vendor.id,
        portalPrincipalArn,
        now,
        tx: context.tx,
        excludeGrantIds: [context.grant.id],
        revokedGrants: endedEarly ? [{ grantId: context.grant.id, revokedAt: now }] : [],
        clients,
        limits: options.limits,
      });

      return {
        roleArn: result.roleArn,
        sessionsDeniedExplicitly: endedEarly,
        // RDS checks IAM auth only when a connection opens, so connections already open stay open.
        ...(parsed.kind === "RDS_IAM" ? { openDatabaseConnectionsClosed: false } : {}),
      };
    },
  };
}

export const awsRoleBackend: AccessBackend = createAwsRoleBackend();
