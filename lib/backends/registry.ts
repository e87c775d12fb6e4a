import "server-only";

import { awsRoleBackend } from "@/lib/backends/aws/backend";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { loginRoleName, provisionLogin, revokeLogin } from "@/lib/backends/postgres-login";
import { ZS3PresignConfig } from "@/lib/backends/s3-presign";
import type { Tx } from "@/lib/db";
import { renderPrefix } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";
import type { Grant, Resource, Vendor } from "@/lib/generated/prisma/client";

export type GrantContext = {
  grant: Grant;
  resource: Resource;
  vendor: Vendor;
  /**
   * The caller's transaction, which changes the grant's status after the backend returns. Backends
   * that render a target from all live grants (the AWS role backend) take their lock in it, so the
   * next writer of the target sees the status change.
   */
  tx?: Tx;
};

/** An access backend: the target-side steps when a grant starts and when it ends (expiry or revocation). */
export interface AccessBackend {
  /** Provisions the grant's access at the target. Idempotent: a retry after a crash must succeed. */
  activate(context: GrantContext): Promise<{ targetName: string | null }>;
  /** Removes the grant's access, open sessions included where the target has them. Idempotent. */
  deactivate(context: GrantContext): Promise<Record<string, string | number | boolean>>;
}

const postgresLoginBackend: AccessBackend = {
  async activate({ grant, resource }) {
    const config = ZPostgresLoginConfig.parse(resource.config);
    // The password set here is thrown away: the holder gets a fresh one, shown once, on request.
    const { roleName } = await provisionLogin({ config, grantId: grant.id, endsAt: grant.endsAt });

    return { targetName: roleName };
  },
  async deactivate({ grant, resource }) {
    const config = ZPostgresLoginConfig.parse(resource.config);
    const roleName = grant.targetName ?? loginRoleName(grant.id);
    const result = await revokeLogin({ config, roleName });

    return { roleName, terminatedSessions: result.terminatedSessions, dropped: result.dropped };
  },
};

const s3PresignBackend: AccessBackend = {
  async activate({ resource, vendor }) {
    const config = ZS3PresignConfig.parse(resource.config);

    return { targetName: renderPrefix(config.prefixTemplate, vendor.slug) };
  },
  async deactivate() {
    // Static-key presigned URLs cannot be recalled; each one expires at or before the grant end.
    return { presignedUrlsRecallable: false };
  },
};

export function backendFor(resource: Resource): AccessBackend {
  switch (resource.kind) {
    case "POSTGRES":
      return postgresLoginBackend;
    case "S3_PRESIGN":
      return s3PresignBackend;
    case "S3_PREFIX":
    case "RDS_IAM":
      return awsRoleBackend;
    default:
      throw new AppError("MISCONFIGURED", `Resource kind ${resource.kind} has no access backend in this version.`);
  }
}
