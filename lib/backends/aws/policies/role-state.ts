// The whole desired state of a vendor role, for the writer that applies it under the role's lock.
// It contains the trust policy, and with it the vendor's ExternalId, which is a secret.
import "server-only";

import { renderPermissionPolicy } from "./permission-policy";
import { checkRolePolicySizes, measurePolicy } from "./size";
import { renderTrustPolicy } from "./trust-policy";
import { DEFAULT_POLICY_LIMITS, type RevokedGrant, type RoleState, type RoleStateInput } from "./types";

/**
 * Extra time, in seconds, during which a revoked grant keeps its explicit deny after its last session
 * has certainly expired. It covers sessions issued while the trust policy change was still
 * propagating through IAM. An estimate: AWS documents the delay only as usually seconds.
 */
export const REVOCATION_PROPAGATION_MARGIN_SECONDS = 300;

/**
 * Selects the revoked grants whose sessions may still be live at `now`: a session lasts at most the
 * role's MaxSessionDuration, and none is issued for a grant after its revocation reaches IAM.
 */
export function selectRevokedGrantsToDeny(
  revokedGrants: readonly RevokedGrant[],
  options: { now: Date; maxSessionSeconds: number },
): RevokedGrant[] {
  const keepMs = (options.maxSessionSeconds + REVOCATION_PROPAGATION_MARGIN_SECONDS) * 1000;

  return revokedGrants.filter((revoked) => revoked.revokedAt.getTime() + keepMs > options.now.getTime());
}

/**
 * Renders a role's trust policy and inline permission policy from its grants and checks both
 * against the limits. `permissionPolicy` is null when the role should have no inline policy.
 */
export function renderRoleState(input: RoleStateInput): RoleState {
  const limits = input.limits ?? DEFAULT_POLICY_LIMITS;

  const trustPolicy = renderTrustPolicy(
    { ...input.trustInput, grants: input.grants },
    { now: input.now, mergeWindows: input.mergeTrustWindows },
  );

  const rendered = renderPermissionPolicy(input.grants, { now: input.now, revokedGrants: input.revokedGrants });
  const permissionPolicy = rendered.Statement.length > 0 ? rendered : null;

  const sizes = {
    trustPolicyChars: measurePolicy(trustPolicy),
    permissionPolicyChars: permissionPolicy ? measurePolicy(permissionPolicy) : 0,
  };

  return {
    trustPolicy,
    permissionPolicy,
    sizes,
    problems: checkRolePolicySizes({ trust: trustPolicy, permission: permissionPolicy }, limits),
  };
}
